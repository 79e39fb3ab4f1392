"""`advocate ingest|ask|eval|demo`: the knowledge base and decision briefs from the terminal."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from advocate.cli.console import EXIT_BAD_INPUT, JsonFlag, err, fail, note, out, print_json, say
from advocate.cli.context import services
from knowledge.kinds import KINDS

if TYPE_CHECKING:
    from advocate.services import Services
    from briefs.brief import Brief
    from knowledge.evaluation import Case
    from knowledge.ingest import IngestSummary
    from knowledge.retrieval import Source

SAMPLE_FOLDERS = ("definition", "culture", "research", "feedback", "transcripts")
DEMO_QUESTIONS = (
    "We plan to replace callbacks with a chatbot to cut contact-centre costs. How does this affect customers?",
    "Should we give long-standing customers the same discount we offer new ones?",
)

app = typer.Typer()
eval_app = typer.Typer(no_args_is_help=True, help="Measure retrieval (and brief) quality on a set of cases.")
app.add_typer(eval_app, name="eval")


def sample_pack() -> Path:
    """The sample knowledge pack: package data, so a wheel install has it too."""
    import knowledge

    return Path(knowledge.__file__).resolve().parent / "sample"


def run_ingest(
    svc: Services,
    paths: list[Path],
    *,
    kind: str | None = None,
    restricted: bool = False,
    mapping: dict[str, str] | None = None,
    prune: bool = False,
) -> IngestSummary:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]ingest[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def on_file(path: Path, total: int) -> None:
            progress.update(task, total=total, advance=1, description=path.name[:40])

        return svc.ingestor.ingest(
            paths,
            kind=kind,
            visibility="restricted" if restricted else "internal",
            mapping=mapping,
            prune=prune,
            on_file=on_file,
        )


def print_summary(summary: IngestSummary, *, label: str = "") -> None:
    """What an ingest did, on one line (after `label: ` when given); each rejection on stderr."""
    for rejection in summary.rejections:
        note(f"rejected {rejection}")
    forgotten = f", forgotten {summary.forgotten}" if summary.forgotten else ""  # advocate forget-customer
    say(
        (f"{label}: " if label else "")
        + f"added {summary.added}, updated {summary.updated}, skipped {summary.skipped}, "
        f"deleted {summary.deleted}{forgotten}, rejected {summary.rejected}"
    )


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders; folders are walked.")],
    kind: Annotated[
        str | None, typer.Option(help=f"One of {', '.join(KINDS)}; inferred from folder names if omitted.")
    ] = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", metavar="COLUMN=FIELD", help="Feedback column mapping (repeatable).")
    ] = None,
    restricted: Annotated[
        bool, typer.Option("--restricted", help="Mark the chunks restricted (admins and advocates only).")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove chunks of files under PATHS that no longer exist.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Ingest knowledge: definition, culture, research, feedback and transcripts."""
    from knowledge.chroma import StoreMismatch
    from knowledge.embeddings import EmbeddingModelError
    from knowledge.feedback_rows import parse_mapping

    if kind is not None and kind not in KINDS:
        raise fail(f"--kind {kind!r} is not a kind; use one of {', '.join(KINDS)}", EXIT_BAD_INPUT)
    try:
        mapping = parse_mapping(map_ or [])
    except ValueError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    svc = services(ctx)
    try:
        summary = run_ingest(svc, paths, kind=kind, restricted=restricted, mapping=mapping, prune=prune)
    except (EmbeddingModelError, StoreMismatch) as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        raise fail("interrupted: what was stored is consistent; run the same command again to finish", 130) from None
    if as_json:
        print_json(summary.as_dict())
        for rejection in summary.rejections:
            note(f"rejected {rejection}")
    else:
        print_summary(summary)
    if summary.rejected:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The decision or question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
    passages: Annotated[bool, typer.Option("--passages", help="Only the retrieved passages, no brief.")] = False,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages (with --passages).")] = 8,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only these kinds (with --passages; repeatable).")
    ] = None,
    function: Annotated[str | None, typer.Option("--function", help="The function the decision belongs to.")] = None,
) -> None:
    """Brief a decision: how does it affect customers? (--passages: just what the knowledge base holds.)"""
    from advocate.services import ModelSetupError
    from briefs.advisor import MAX_QUESTION_CHARS, names_a_decision
    from briefs.lenses import LensLibraryError
    from knowledge.chroma import StoreMismatch
    from knowledge.embeddings import EmbeddingModelError

    if not question.strip():
        raise fail('the question is empty; ask e.g. advocate ask "We plan to close the phone line at weekends"',
                   EXIT_BAD_INPUT)
    if len(question) > MAX_QUESTION_CHARS:
        raise fail(f"the question is {len(question)} characters; keep it under {MAX_QUESTION_CHARS:,} "
                   "(summarise the decision)", EXIT_BAD_INPUT)
    if not names_a_decision(question):
        raise fail(f"“{question.strip()}” names no decision; say what is being decided, e.g. "
                   'advocate ask "We plan to close the phone line at weekends"', EXIT_BAD_INPUT)
    for name in kind or []:
        if name not in KINDS:
            raise fail(f"--kind {name!r} is not a kind; use one of {', '.join(KINDS)}", EXIT_BAD_INPUT)
    svc = services(ctx)
    try:
        if passages:
            sources = svc.retriever.search(question, k=k, kinds=kind or None)
            if as_json:
                print_json({"question": question, "sources": [s.as_json() for s in sources]})
            else:
                print_passages(question, sources)
            return
        brief = svc.advisor.brief(question, function=function)
    except (EmbeddingModelError, StoreMismatch, ModelSetupError, LensLibraryError) as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    if as_json:
        print_json({"question": question, "sources": [s.as_json() for s in brief.sources], "brief": brief.as_json()})
        return
    print_brief(brief)


def print_brief(brief: Brief) -> None:
    out.rule(f"[bold]{escape(brief.sections.get('decision', brief.question))}[/bold]")
    if brief.lenses:
        say("Lenses: " + "; ".join(m.lens.title for m in brief.lenses[:3]))
    say(brief.text)
    for line in brief.notes:
        note(f"note: {line}")
    if brief.writer == "llm":
        note("written by the language model from the sources above")


def print_passages(question: str, sources: list[Source]) -> None:
    out.rule(f"[bold]{escape(question)}[/bold]")
    if not sources:
        say("Nothing in the knowledge base matches this yet. Ingest material with `advocate ingest PATH`.")
    for number, source in enumerate(sources, start=1):
        label = " · ".join(p for p in (source.kind, source.title, source.heading, source.date) if p)
        out.print(f"[bold][{number}][/bold] {escape(label)}")
        say(f"    {source.text}")
        out.print(f"    [dim]{escape(source.source_name or source.source)}[/dim]")


CASES_HELP = ('JSONL cases: {"q": ..., "expect": [...]} or {"q", "file", "span"} (with --documents) '
              'or {"q", "relevant": [row ids]}')
DOCUMENTS_HELP = "Folder the span cases' files are read from (default: the cases file's folder)."
SPLIT_HELP = "Only the tuning part (tune) or only the check part (check) of the cases; default: each apart."


def read_cases(cases_file: Path, documents: Path | None, split: str | None) -> dict[str, list[Case]]:
    """The cases of each part ("tune", "check"; "all" for a file without parts); a file that cannot be
    read ends the command with exit code 2."""
    from knowledge.evaluation import load_cases

    try:
        cases = load_cases(cases_file, documents=documents, split=split)
    except (OSError, ValueError) as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    parts: dict[str, list[Case]] = {}
    for case in cases:
        parts.setdefault(case.split or "all", []).append(case)
    return dict(sorted(parts.items(), key=lambda item: ("tune", "check", "all").index(item[0])))


@eval_app.command("retrieval")
def eval_retrieval(
    ctx: typer.Context,
    cases_file: Annotated[Path, typer.Argument(help=CASES_HELP)],
    documents: Annotated[Path | None, typer.Option("--documents", help=DOCUMENTS_HELP)] = None,
    split: Annotated[str | None, typer.Option("--split", help=SPLIT_HELP)] = None,
    dense_only: Annotated[bool, typer.Option("--dense-only", help="Dense search alone, for comparison.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Hit rate and MRR at the 3,000-character budget: dense only, the RRF baseline and the shipped
    pipeline side by side, for the tuning and the check part apart."""
    from knowledge.evaluation import BUDGET, evaluate, systems

    parts = read_cases(cases_file, documents, split)
    svc = services(ctx)
    compared = systems(svc.retriever)
    if dense_only:
        compared = {"dense": compared["dense"]}
    report = {part: {name: evaluate(cases, search) for name, search in compared.items()}
              for part, cases in parts.items()}
    if as_json:
        print_json(report)
        return
    for part, results in report.items():
        for name, result in results.items():
            say(f"{part:<5} {name:<13} hits {result['hits']}/{result['cases']}  hit rate {result['hit_rate']:.3f}  "
                f"MRR {result['mrr']:.3f}  (budget {BUDGET} characters)"
                + (f"  ({result['unanswerable']} with nothing to find left out)" if result["unanswerable"] else ""))
        for miss in results.get("shipped", results["dense"])["misses"]:
            note(f"  {part} miss: {miss}")


@eval_app.command("briefs")
def eval_briefs(
    ctx: typer.Context,
    cases_file: Annotated[Path, typer.Argument(help=CASES_HELP)],
    documents: Annotated[Path | None, typer.Option("--documents", help=DOCUMENTS_HELP)] = None,
    labels_file: Annotated[Path | None, typer.Option(
        "--labels", help="Evidence labels (bench/cases/evidence_labels.jsonl) for precision per section.")] = None,
    split: Annotated[str | None, typer.Option("--split", help=SPLIT_HELP)] = None,
    as_json: JsonFlag = False,
) -> None:
    """Retrieval alone and through the brief, lens hit@3, citation validity, quote fidelity and evidence
    precision per section, for the tuning and the check part apart."""
    from briefs.evaluation import EvidenceLabels, evaluate_briefs

    parts = read_cases(cases_file, documents, split)
    labels = None
    if labels_file is not None:
        try:
            labels = EvidenceLabels.load(labels_file, documents=documents or cases_file.parent)
        except (OSError, ValueError) as exc:
            raise fail(str(exc), EXIT_BAD_INPUT) from None
    svc = services(ctx)
    report = {part: evaluate_briefs(cases, advisor=svc.advisor, retriever=svc.retriever, labels=labels)
              for part, cases in parts.items()}
    if as_json:
        print_json(report)
        return
    for part, result in report.items():
        lens = result["lens_hit_at_3"]
        say(f"{part:<5} cases {result['cases']}  retrieval {result['retrieval_hits']}/{result['answerable']}  "
            f"through the brief {result['brief_source_hits']}/{result['answerable']}  "
            f"lens hit@3 {'n/a' if lens is None else format(lens, '.3f')}  "
            f"citations {result['citation_validity']:.3f}  quotes {result['quote_fidelity']:.3f}  "
            f"brief p50 {result['brief_p50_ms']} ms")
        if result["briefs_with_relevant_research"] is not None:
            say(f"      briefs showing a relevant research sentence: {result['briefs_with_relevant_research']}"
                f"/{result['cases']}")
        for section, tally in result["evidence_precision"].items():
            precision = "n/a" if tally["precision"] is None else format(tally["precision"], ".3f")
            say(f"      {section:<15} precision {precision}  ({tally['good']} of {tally['labelled']} labelled; "
                f"{tally['shown']} shown)")
        for miss in result["misses"]:
            note(f"  {part} miss: {miss}")


@app.command()
def demo(ctx: typer.Context) -> None:
    """Ingest the sample pack and answer two sample decision questions."""
    svc = services(ctx)
    pack = sample_pack()
    note(f"Ingesting the sample pack from {pack} …")
    started = time.perf_counter()
    summary = run_ingest(svc, [pack / name for name in SAMPLE_FOLDERS])
    print_summary(summary)
    note(f"ingest took {time.perf_counter() - started:.1f}s")
    for question in DEMO_QUESTIONS:
        print_brief(svc.advisor.brief(question))
