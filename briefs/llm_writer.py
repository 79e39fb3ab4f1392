"""The language-model writer: prose from the same sources, checked before anyone sees it.

Sources go into the prompt as quoted data inside tags (escaped, so a verbatim cannot close its tag
or pose as an instruction), grouped by kind so the organisation's definition stays apart from
research and customers' words. The answer is shown only if it passes every check in
`briefs.answer_checks`; a failed check, a missing section, an error or a timeout make the brief fall
back to the grounded writer, with the reason logged and noted on the brief.
"""

from __future__ import annotations

import concurrent.futures
import html
import logging
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from briefs.advisor import Evidence
from briefs.answer_checks import NOTHING_FOUND, AnswerChecker, AnswerRejected, all_section_titles
from briefs.brief import Brief, normalise
from briefs.grounded_writer import GroundedWriter
from knowledge.retrieval import Source

log = logging.getLogger(__name__)

_HEADING = re.compile(r"^#{1,3}\s*(.+?)\s*$", re.MULTILINE)
# How the prompt labels each kind of source, so the model never passes research off as our definition.
SOURCE_GROUPS: dict[str, str] = {
    "definition": "Our own definition of customer-centricity (what we hold ourselves to)",
    "culture": "Our own culture document (how we say we behave)",
    "research": "Research (studies and reports; evidence, not our commitments)",
    "transcript": "Call and chat transcripts (what happened with real customers)",
    "feedback": "Customer feedback (customers' own words, with score when known)",
}
# The length the prompt asks for: a brief is read in a Slack thread a minute before a meeting.
ANSWER_WORD_LIMIT = 350


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
        embedder: Embeddings | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        # Any LangChain chat model (built by init_chat_model from LLM_MODEL, or a fake in tests).
        self.model = model
        # The grounded writer, used when the model's answer cannot be trusted or does not come.
        self.fallback = fallback
        # Seconds to wait for the model before falling back.
        self.timeout = timeout
        # The embedding model for the support check; the grounded writer's unless another is given.
        self.checker = AnswerChecker(embedder=embedder or fallback.embedder)
        # Today's date for the prompt (a clock, so tests can fix it).
        self.today = today
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
            today=self.today().isoformat(),
            word_limit=ANSWER_WORD_LIMIT,
            decision=html.escape(evidence.decision, quote=False),
            lenses=lenses or "- none matched",
            function=function,
            customers=", ".join(evidence.customers) or "none",
            notes="; ".join(evidence.notes) or "none",
            sources=grouped_sources(sources) or "(no sources found)",
        )
        system = self.system_prompt.replace("{nothing_found}", NOTHING_FOUND)
        return [SystemMessage(system), HumanMessage(user)]

    def write(self, evidence: Evidence) -> Brief:
        sources = evidence.all_sources()
        try:
            future = self._pool.submit(self.model.invoke, self.messages(evidence, sources))
            answer = future.result(timeout=self.timeout)
            sections = self.check(str(answer.content), evidence, sources)
        except concurrent.futures.TimeoutError:
            return self._fall_back(evidence, f"the language model took longer than {self.timeout:g}s")
        except AnswerRejected as exc:
            log.debug("the rejected sentence in full: %s", exc.sentence)
            return self._fall_back(evidence, f"the language model's answer was not used: it failed the {exc}")
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
        log.warning("brief fell back to the grounded writer: %s", reason)
        brief = self.fallback.write(evidence)
        brief.notes.append(f"written without the language model: {normalise(reason)}")
        return brief

    def check(self, answer: str, evidence: Evidence, sources: list[Source]) -> dict[str, str]:
        """Split the answer into sections and run every check (see `briefs.answer_checks`)."""
        sections = _split_sections(answer)
        missing = [title for key, title in all_section_titles().items() if key not in sections]
        if missing:
            raise AnswerRejected("shape", f"missing section(s): {', '.join(missing)}")
        self.checker.check(
            sections,
            [s.text for s in sources],
            decision=evidence.decision,
            lens_questions=[q for m in evidence.lenses for q in m.lens.questions],
        )
        return sections


def grouped_sources(sources: list[Source]) -> str:
    """The numbered sources under a label per kind, in the order they are numbered."""
    blocks: list[str] = []
    kind = None
    for number, source in enumerate(sources, 1):
        if source.kind != kind:
            kind = source.kind
            blocks.append(f"\n### {SOURCE_GROUPS.get(kind, kind.capitalize() or 'Other sources')}")
        blocks.append(format_source(number, source))
    return "\n".join(blocks).strip()


def _split_sections(answer: str) -> dict[str, str]:
    by_title = {normalise(title).lower(): key for key, title in all_section_titles().items()}
    sections: dict[str, str] = {}
    matches = list(_HEADING.finditer(answer))
    for index, match in enumerate(matches):
        key = by_title.get(normalise(match.group(1)).lower().rstrip(":"))
        if key is None:
            continue
        end = matches[index + 1].start() if index + 1 < len(matches) else len(answer)
        sections[key] = answer[match.end() : end].strip()
    return sections
