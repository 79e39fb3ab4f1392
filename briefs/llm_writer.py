"""The language-model writer: prose from the same sources, checked before anyone sees it.

Sources go into the prompt as quoted data inside tags (escaped, so a verbatim cannot close its tag
or pose as an instruction). The answer is checked after generation: citations that do not resolve
are removed; a missing section, a quote not found in any source, no valid citation at all, an error
or a timeout make the brief fall back to the grounded writer, with the reason logged.
"""

from __future__ import annotations

import concurrent.futures
import html
import logging
import re
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from briefs.advisor import Evidence
from briefs.brief import CITATION, QUOTE, SECTION_TITLES, Brief, normalise
from briefs.grounded_writer import GroundedWriter
from knowledge.retrieval import Source

log = logging.getLogger(__name__)

_HEADING = re.compile(r"^#{1,3}\s*(.+?)\s*$", re.MULTILINE)
_QUOTED = re.compile(r"“[^”]*”")


def _quote_length(match: re.Match[str]) -> str:
    return f"({len(match.group(0)) - 2} characters)"


class BriefRejected(Exception):
    """The model's answer broke the contract; the message says how."""


def format_source(number: int, source: Source) -> str:
    attributes = {
        "n": str(number),
        "kind": source.kind,
        "title": source.title,
        "section": source.heading,
        "date": source.date,
        "channel": source.channel,
        "customer": source.customer_id,
        "score": "" if source.feedback_score is None else str(source.feedback_score),
    }
    attrs = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attributes.items() if v)
    return f"<source {attrs}>\n{html.escape(normalise(source.text), quote=False)}\n</source>"


class LLMWriter:
    name = "llm"

    def __init__(
        self,
        *,
        model: BaseChatModel,
        fallback: GroundedWriter,
        prompts_dir: Path,
        timeout: float = 30.0,
    ) -> None:
        # Any LangChain chat model (built by init_chat_model from LLM_MODEL, or a fake in tests).
        self.model = model
        # The grounded writer, used when the model's answer cannot be trusted or does not come.
        self.fallback = fallback
        # Seconds to wait for the model before falling back.
        self.timeout = timeout
        self.system_prompt = (prompts_dir / "brief_system.md").read_text(encoding="utf-8")
        self.user_template = (prompts_dir / "brief_user.md").read_text(encoding="utf-8")
        # A timed-out call is abandoned, not cancelled (threads cannot be); the pool bounds the pile-up.
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="llm")

    def messages(self, evidence: Evidence, sources: list[Source]) -> list[SystemMessage | HumanMessage]:
        lenses = "\n".join(
            f"- {m.lens.title} ({m.lens.id}): {m.why}. Questions: " + " ".join(m.lens.questions[:3])
            for m in evidence.lenses[:3]
        )
        function = evidence.function.function.title if evidence.function else "not clear"
        user = self.user_template.format(
            decision=html.escape(evidence.decision, quote=False),
            lenses=lenses or "- none matched",
            function=function,
            customers=", ".join(evidence.customers) or "none",
            notes="; ".join(evidence.notes) or "none",
            sources="\n".join(format_source(n, s) for n, s in enumerate(sources, 1)) or "(no sources found)",
        )
        return [SystemMessage(self.system_prompt), HumanMessage(user)]

    def write(self, evidence: Evidence) -> Brief:
        sources = evidence.all_sources()
        try:
            future = self._pool.submit(self.model.invoke, self.messages(evidence, sources))
            answer = future.result(timeout=self.timeout)
            sections = self.check(str(answer.content), sources)
        except concurrent.futures.TimeoutError:
            return self._fall_back(evidence, f"the language model took longer than {self.timeout:g}s")
        except BriefRejected as exc:
            return self._fall_back(evidence, f"the language model's brief was rejected: {exc}")
        except Exception as exc:  # noqa: BLE001 - any provider error must still give the user a brief
            return self._fall_back(evidence, f"the language model failed ({type(exc).__name__})")
        return Brief(
            question=evidence.question,
            sections=sections,
            sources=sources,
            lenses=evidence.lenses,
            writer=self.name,
            notes=list(evidence.notes),
        )

    def _fall_back(self, evidence: Evidence, reason: str) -> Brief:
        # The reason may quote the answer (customer words): the warning gives the quote's length only.
        log.warning("brief fell back to the grounded writer: %s", _QUOTED.sub(_quote_length, reason))
        log.debug("brief fell back to the grounded writer: %s", reason)
        brief = self.fallback.write(evidence)
        brief.notes.append(f"written without the language model: {reason}")
        return brief

    def check(self, answer: str, sources: list[Source]) -> dict[str, str]:
        """Split the answer into sections and enforce the contract (see the module docstring)."""
        sections = _split_sections(answer)
        missing = [title for key, title in SECTION_TITLES.items() if key not in sections]
        if missing:
            raise BriefRejected(f"missing section(s): {', '.join(missing)}")
        texts = [normalise(s.text) for s in sources]
        for quote in QUOTE.findall("\n".join(sections.values())):
            if not any(normalise(quote) in t for t in texts):
                raise BriefRejected(f"a quote is not in any source: “{normalise(quote)[:60]}…”")
        valid = 0
        removed = 0

        def keep_valid(match: re.Match[str]) -> str:
            nonlocal valid, removed
            numbers = [int(n) for n in match.group(1).split(",")]
            good = [n for n in numbers if 1 <= n <= len(sources)]
            valid += len(good)
            removed += len(numbers) - len(good)
            return f"[{', '.join(map(str, good))}]" if good else ""

        cleaned = {key: CITATION.sub(keep_valid, body).replace(" .", ".").strip() for key, body in sections.items()}
        if removed:
            log.warning("removed %d citation(s) that did not resolve to a source", removed)
        if sources and not valid:
            raise BriefRejected("no citation resolves to a source")
        return cleaned


def _split_sections(answer: str) -> dict[str, str]:
    by_title = {normalise(title).lower(): key for key, title in SECTION_TITLES.items()}
    sections: dict[str, str] = {}
    matches = list(_HEADING.finditer(answer))
    for index, match in enumerate(matches):
        key = by_title.get(normalise(match.group(1)).lower().rstrip(":"))
        if key is None:
            continue
        end = matches[index + 1].start() if index + 1 < len(matches) else len(answer)
        sections[key] = answer[match.end() : end].strip()
    return sections
