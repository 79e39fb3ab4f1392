"""`advocate init`: the first run in an empty data dir — ask for the organisation's material, ingest it, show
one brief, and say what comes next.

Four questions (the customer definition, the research folder, the feedback export, the customer list), each
also a flag, so a script runs it with `--yes` (or with stdin not a terminal) and no questions at all. The
ingest and the customer import are the same code as `advocate ingest` and `advocate customers import`.
A data dir that already holds knowledge is left alone unless `--add` says to add to it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from advocate.cli.console import EXIT_BAD_INPUT, err, fail, note, out, say
from advocate.cli.context import services
from advocate.cli.knowledge import DEMO_QUESTIONS, print_brief, print_summary, run_ingest

if TYPE_CHECKING:
    from advocate.services import Services

app = typer.Typer()


@dataclass(frozen=True)
class Question:
    name: str  # the flag's name and the answer's key
    kind: str  # the knowledge kind it is ingested as, or "customers" for the records import
    prompt: str  # what is asked at the terminal
    example: str  # where it is in the sample pack, as an example


QUESTIONS = (
    Question("definition", "definition", "Your customer definition: a file (or folder) saying who your customer is "
             "and what you promise them", "knowledge/sample/definition/customer-centricity.md"),
    Question("research", "research", "Your customer research: a folder of reports (PDF, Word, Markdown, HTML)",
             "knowledge/sample/research"),
    Question("feedback", "feedback", "Your feedback export: a CSV (or JSON Lines) file of surveys and complaints",
             "knowledge/sample/feedback/feedback.csv"),
    Question("customers", "customers", "Your customer list: a CSV with id, name, customer_since, owner",
             "knowledge/sample/customers.csv"),
)

PathOption = Annotated[Path | None, typer.Option(metavar="PATH")]


def ask(question: Question, given: Path | None) -> Path | None:
    """Ask at the terminal until the answer is an existing path, or empty (skip). End of input skips too."""
    from rich.prompt import Prompt

    while True:
        err.print(f"\n[bold]{question.prompt}[/bold]\n[dim]e.g. {question.example}; Enter to skip[/dim]")
        try:
            answer = Prompt.ask("path", console=err, default=str(given) if given else "", show_default=bool(given))
        except EOFError:
            return given
        if not answer.strip():
            return None
        path = Path(answer.strip()).expanduser()
        if path.exists():
            return path
        err.print(f"[red]{escape(str(path))} does not exist[/red]: give a file or folder that does, "
                  "or press Enter to skip")


def answers_from(given: dict[str, Path | None], *, interactive: bool) -> dict[str, Path]:
    """The paths to set up from: the flags, and at a terminal the questions. A flag naming a path that does
    not exist ends the command (exit 2) before anything is stored."""
    for name, path in given.items():
        if path is not None and not path.exists():
            raise fail(f"--{name} {path}: no such file or folder", EXIT_BAD_INPUT)
    if interactive:
        err.print("[bold]Set up Advocate[/bold]: four questions; each can be skipped and done later.")
        given = {q.name: ask(q, given[q.name]) for q in QUESTIONS}
    return {name: path for name, path in given.items() if path is not None}


def holds_knowledge(svc: Services) -> int:
    """How many chunks the knowledge base already holds (0 for a new data dir)."""
    from knowledge.chroma import StoreMismatch

    try:
        return svc.store.count()
    except StoreMismatch as exc:
        raise fail(str(exc)) from None


def set_up(svc: Services, answers: dict[str, Path]) -> tuple[int, int]:
    """Ingest the knowledge answers and import the customer list; (chunks stored, rows rejected)."""
    from knowledge.chroma import StoreMismatch
    from knowledge.embeddings import EmbeddingModelError
    from records.errors import InputError

    rejected = 0
    for question in QUESTIONS:
        path = answers.get(question.name)
        if path is None:
            continue
        if question.kind == "customers":
            try:
                summary = svc.records.customers.import_csv(path, mapping={})
            except InputError as exc:
                note(f"customers: {exc}; fix the file and run `advocate customers import {path}`")
                rejected += 1
                continue
            for problem in summary.problems:
                note(f"rejected {problem}")
            say(summary.line())
            rejected += summary.rejected
            continue
        try:
            ingested = run_ingest(svc, [path], kind=question.kind)
        except (EmbeddingModelError, StoreMismatch) as exc:
            raise fail(str(exc)) from None
        print_summary(ingested, label=question.name)
        rejected += ingested.rejected
    return holds_knowledge(svc), rejected


def next_steps(*, definition: bool) -> None:
    """What to do after the knowledge base is in place: Slack, tokens, advocates, staff."""
    steps = [
        "1. Create the Slack app: api.slack.com/apps → Create New App → From an app manifest → paste "
        "[bold]manifest.json[/bold] (docs/slack-setup.md walks through it).",
        "2. Put its tokens in [bold].env[/bold] (cp .env.example .env): SLACK_BOT_TOKEN=xoxb-… and, for Socket "
        "Mode, SLACK_APP_TOKEN=xapp-…; then [bold]advocate doctor[/bold] checks them.",
        "3. Name your customer advocates: [bold]advocate advocates add SLACK_USER_ID FUNCTION[/bold]; import "
        "staff (who reports to whom) for the digests: [bold]advocate staff import staff.csv[/bold].",
        "4. Start it: [bold]advocate serve[/bold] (and [bold]advocate jobs[/bold] for digests and reminders).",
    ]
    if not definition:
        steps.insert(0, "0. Add your customer definition when you have it: [bold]advocate ingest FILE --kind "
                        "definition[/bold]; until then briefs cannot say who your customer is.")
    out.rule("[bold]Next steps[/bold]", align="left")
    for step in steps:
        out.print(step)


@app.command("init")
def init(
    ctx: typer.Context,
    definition: PathOption = None,
    research: PathOption = None,
    feedback: PathOption = None,
    customers: PathOption = None,
    question: Annotated[str, typer.Option(help="The decision the sample brief is about.")] = DEMO_QUESTIONS[0],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Ask nothing: use only the flags given.")] = False,
    ask_anyway: Annotated[bool, typer.Option(
        "--ask", help="Ask the questions even when stdin is not a terminal (answers piped in).")] = False,
    add: Annotated[bool, typer.Option(
        "--add", "--force", help="Run even though the data dir holds knowledge: add to it (nothing is removed).")
    ] = False,
) -> None:
    """Set up a new data dir: ask for your customer definition, research, feedback and customer list (or take
    them from --definition, --research, --feedback, --customers), ingest them, show a sample brief and the
    next steps."""
    from advocate.services import ModelSetupError
    from briefs.lenses import LensLibraryError

    given = {"definition": definition, "research": research, "feedback": feedback, "customers": customers}
    interactive = not yes and (ask_anyway or sys.stdin.isatty())
    svc = services(ctx)
    held = holds_knowledge(svc)
    if held and not add:
        raise fail(f"the data dir {svc.settings.data_dir.resolve()} already holds a knowledge base ({held:,} chunks), "
                   "so there is nothing to set up. `advocate doctor` shows what it holds; `advocate init --add` "
                   "adds to it; `advocate ingest PATH` adds one file or folder")
    answers = answers_from(given, interactive=interactive)
    if not answers:
        raise fail("nothing to set up: give at least one of --definition, --research, --feedback, --customers "
                   "(or answer the questions at a terminal)", EXIT_BAD_INPUT)
    chunks, rejected = set_up(svc, answers)
    if chunks:
        note(f"\nA sample brief from what is now in the knowledge base ({chunks:,} chunks):")
        try:
            print_brief(svc.advisor.brief(question))
        except (ModelSetupError, LensLibraryError, ValueError) as exc:
            note(f"no sample brief: {exc}")
    next_steps(definition=bool(svc.store.by_metadata({"kind": "definition"}, limit=1)))
    if rejected:
        note(f"{rejected} rows or files were rejected (listed above); the rest is stored")
        raise typer.Exit(EXIT_BAD_INPUT)
