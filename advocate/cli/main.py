"""The `advocate` command line. Progress and logs go to stderr; stdout carries only the answer."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import knowledge
from advocate import logging_setup
from advocate.cli import digests as digest_cli
from advocate.cli import records as records_cli
from advocate.services import ModelSetupError, Services, build_services
from advocate.settings import SettingsError, load_settings
from briefs.brief import Brief
from briefs.evaluation import EvidenceLabels, evaluate_briefs
from briefs.lenses import LensLibraryError
from knowledge.embeddings import EmbeddingModelError
from knowledge.evaluation import BUDGET, evaluate, load_cases, systems
from knowledge.feedback_rows import parse_mapping
from knowledge.ingest import IngestSummary
from knowledge.kinds import KINDS
from knowledge.vector_store import StoreMismatch
from operations import doctor, forget, reindex
from operations import export as data_export

SAMPLE_PACK = Path(knowledge.__file__).resolve().parent / "sample"  # package data, also in a wheel install
SAMPLE_FOLDERS = ("definition", "culture", "research", "feedback", "transcripts")
DEMO_QUESTIONS = (
    "We plan to replace callbacks with a chatbot to cut contact-centre costs. How does this affect customers?",
    "Should we give long-standing customers the same discount we offer new ones?",
)

EXIT_REJECTED = 2

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Advocate: the customer's standpoint in every decision."
)
eval_app = typer.Typer(no_args_is_help=True, help="Measure retrieval (and brief) quality on a set of cases.")
app.add_typer(eval_app, name="eval")

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class _State:
    services: Services | None = None


def services() -> Services:
    if _State.services is None:
        try:
            settings = load_settings()
        except SettingsError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        _State.services = build_services(settings)
    return _State.services


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail to stderr.")] = False,
) -> None:
    # ADVOCATE_LOG_FORMAT (text or json), ids per request or job, tokens and secrets scrubbed.
    logging_setup.configure_cli_logging(verbose=verbose)


def run_ingest(
    svc: Services,
    paths: list[Path],
    *,
    kind: str | None = None,
    restricted: bool = False,
    mapping: dict[str, str] | None = None,
    prune: bool = False,
) -> IngestSummary:
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


def print_summary(summary: IngestSummary) -> None:
    for rejection in summary.rejections:
        err.print(f"[yellow]rejected[/yellow] {rejection}", highlight=False, markup=False)
    forgotten = f", forgotten {summary.forgotten}" if summary.forgotten else ""  # advocate forget-customer
    out.print(
        f"added {summary.added}, updated {summary.updated}, skipped {summary.skipped}, "
        f"deleted {summary.deleted}{forgotten}, rejected {summary.rejected}",
        highlight=False,
    )


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders; folders are walked.")],
    kind: Annotated[
        str | None, typer.Option(help=f"One of {', '.join(KINDS)}; inferred from folder names if omitted.")
    ] = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="Feedback column mapping, COLUMN=FIELD (repeatable).")
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
    if kind is not None and kind not in KINDS:
        raise fail(f"--kind {kind!r} is not a kind; use one of {', '.join(KINDS)}", 2)
    try:
        mapping = parse_mapping(map_ or [])
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    svc = services()
    try:
        summary = run_ingest(svc, paths, kind=kind, restricted=restricted, mapping=mapping, prune=prune)
    except (EmbeddingModelError, StoreMismatch) as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        raise fail("interrupted: what was stored is consistent; run the same command again to finish", 130) from None
    if as_json:
        print(json.dumps(summary.as_dict()))
        for rejection in summary.rejections:
            err.print(f"rejected {rejection}", highlight=False, markup=False)
    else:
        print_summary(summary)
    if summary.rejected:
        raise typer.Exit(EXIT_REJECTED)


@app.command()
def ask(
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
    if not question.strip():
        raise fail('the question is empty; ask e.g. advocate ask "We plan to close the phone line at weekends"', 2)
    from briefs.advisor import MAX_QUESTION_CHARS

    if len(question) > MAX_QUESTION_CHARS:
        raise fail(f"the question is {len(question)} characters; keep it under {MAX_QUESTION_CHARS:,} "
                   "(summarise the decision)", 2)
    for name in kind or []:
        if name not in KINDS:
            raise fail(f"--kind {name!r} is not a kind; use one of {', '.join(KINDS)}", 2)
    svc = services()
    try:
        if passages:
            sources = svc.retriever.search(question, k=k, kinds=kind or None)
            if as_json:
                print(json.dumps({"question": question, "sources": [s.as_json() for s in sources]}, ensure_ascii=False))
            else:
                print_passages(question, sources)
            return
        brief = svc.advisor.brief(question, function=function)
    except (EmbeddingModelError, StoreMismatch, ModelSetupError, LensLibraryError) as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        print(
            json.dumps(
                {"question": question, "sources": [s.as_json() for s in brief.sources], "brief": brief.as_json()},
                ensure_ascii=False,
            )
        )
        return
    print_brief(brief)


def print_brief(brief: Brief) -> None:
    out.rule(f"[bold]{brief.sections.get('decision', brief.question)}[/bold]")
    if brief.lenses:
        out.print("Lenses: " + "; ".join(f"{m.lens.title} ({m.lens.id})" for m in brief.lenses[:3]), highlight=False)
    out.print(brief.text, highlight=False, markup=False)
    for note in brief.notes:
        err.print(f"note: {note}", highlight=False, markup=False)
    out.print(f"[dim]writer: {brief.writer}[/dim]")


def print_passages(question: str, sources: list) -> None:
    out.rule(f"[bold]{question}[/bold]")
    if not sources:
        out.print("Nothing in the knowledge base matches this yet. Ingest material with `advocate ingest PATH`.")
    for number, source in enumerate(sources, start=1):
        label = " · ".join(p for p in (source.kind, source.title, source.heading, source.date) if p)
        out.print(f"[bold][{number}][/bold] {label}", highlight=False, markup=True)
        out.print(f"    {source.text}", highlight=False, markup=False)
        out.print(f"    [dim]{source.source_name or source.source}[/dim]", highlight=False)


CASES_HELP = ('JSONL cases: {"q": ..., "expect": [...]} or {"q", "file", "span"} (with --documents) '
              'or {"q", "relevant": [row ids]}')
DOCUMENTS_HELP = "Folder the span cases' files are read from (default: the cases file's folder)."
SPLIT_HELP = "Only the tuning part or only the check part of the cases (default: each part apart)."


def _load_cases_by_part(cases_file: Path, documents: Path | None, split: str | None) -> dict[str, list]:
    """The cases of each part ("tune", "check"), or all of them when the file has no parts."""
    try:
        cases = load_cases(cases_file, documents=documents, split=split)
    except (OSError, ValueError) as exc:
        raise fail(str(exc), 2) from None
    parts: dict[str, list] = {}
    for case in cases:
        parts.setdefault(case.split or "all", []).append(case)
    return dict(sorted(parts.items(), key=lambda item: ("tune", "check", "all").index(item[0])))


@eval_app.command("retrieval")
def eval_retrieval(
    cases_file: Annotated[Path, typer.Argument(help=CASES_HELP)],
    documents: Annotated[Path | None, typer.Option("--documents", help=DOCUMENTS_HELP)] = None,
    split: Annotated[str | None, typer.Option("--split", help=SPLIT_HELP)] = None,
    dense_only: Annotated[bool, typer.Option("--dense-only", help="Dense search alone, for comparison.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Hit rate and MRR at the 3,000-character budget: dense only, the RRF baseline and the shipped
    pipeline side by side, for the tuning and the check part apart."""
    parts = _load_cases_by_part(cases_file, documents, split)
    svc = services()
    compared = systems(svc.retriever)
    if dense_only:
        compared = {"dense": compared["dense"]}
    report = {part: {name: evaluate(cases, search) for name, search in compared.items()}
              for part, cases in parts.items()}
    if as_json:
        print(json.dumps(report))
        return
    for part, results in report.items():
        for name, result in results.items():
            out.print(
                f"{part:<5} {name:<13} hits {result['hits']}/{result['cases']}  hit rate {result['hit_rate']:.3f}  "
                f"MRR {result['mrr']:.3f}  (budget {BUDGET} characters)",
                highlight=False,
            )
        for miss in results.get("shipped", results.get("dense", {})).get("misses", []):
            err.print(f"  {part} miss: {miss}", highlight=False, markup=False)


@eval_app.command("briefs")
def eval_briefs(
    cases_file: Annotated[Path, typer.Argument(help=CASES_HELP)],
    documents: Annotated[Path | None, typer.Option("--documents", help=DOCUMENTS_HELP)] = None,
    labels_file: Annotated[Path | None, typer.Option(
        "--labels", help="Evidence labels (bench/cases/evidence_labels.jsonl) for precision per section.")] = None,
    split: Annotated[str | None, typer.Option("--split", help=SPLIT_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Retrieval alone and through the brief, lens hit@3, citation validity, quote fidelity and
    evidence precision per section, for the tuning and the check part apart."""
    parts = _load_cases_by_part(cases_file, documents, split)
    labels = None
    if labels_file is not None:
        try:
            labels = EvidenceLabels.load(labels_file, documents=documents or cases_file.parent)
        except (OSError, ValueError) as exc:
            raise fail(str(exc), 2) from None
    svc = services()
    report = {part: evaluate_briefs(cases, advisor=svc.advisor, retriever=svc.retriever, labels=labels)
              for part, cases in parts.items()}
    if as_json:
        print(json.dumps(report))
        return
    for part, result in report.items():
        lens = result["lens_hit_at_3"]
        out.print(
            f"{part:<5} cases {result['cases']}  retrieval {result['retrieval_hits']}/{result['cases']}  "
            f"through the brief {result['brief_source_hits']}/{result['cases']}  "
            f"lens hit@3 {'n/a' if lens is None else format(lens, '.3f')}  "
            f"citations {result['citation_validity']:.3f}  quotes {result['quote_fidelity']:.3f}  "
            f"brief p50 {result['brief_p50_ms']} ms",
            highlight=False,
        )
        for section, tally in result["evidence_precision"].items():
            precision = "n/a" if tally["precision"] is None else format(tally["precision"], ".3f")
            out.print(f"      {section:<15} precision {precision}  ({tally['good']} of {tally['labelled']} labelled; "
                      f"{tally['shown']} shown)", highlight=False)
        for miss in result["misses"]:
            err.print(f"  {part} miss: {miss}", highlight=False, markup=False)


@app.command()
def demo() -> None:
    """Ingest the sample pack and answer two sample decision questions."""
    svc = services()
    err.print(f"Ingesting the sample pack from {SAMPLE_PACK} …")
    started = time.perf_counter()
    summary = run_ingest(svc, [SAMPLE_PACK / name for name in SAMPLE_FOLDERS])
    print_summary(summary)
    err.print(f"ingest took {time.perf_counter() - started:.1f}s")
    for question in DEMO_QUESTIONS:
        print_brief(svc.advisor.brief(question))


def _register_slack_commands() -> None:
    # `serve`, `advocates …`, `decisions …`: the Slack app's commands live beside the app (advocate/cli/slack.py).
    from advocate.cli.slack import register

    register(app, services=services, fail=fail)


_register_slack_commands()


# Records, promises, loyalty and digests (issue 5): advocate/cli/records.py, advocate/cli/digests.py.
records_cli.register(app, services=services, fail=fail)
digest_cli.register(app, services=services, fail=fail)
# Operations (issue 6): export / import-export, forget-customer.
data_export.register(app, services=services, fail=fail)
forget.register(app, services=services, fail=fail)
doctor.register(app, services=services, fail=fail)  # doctor, migrate
reindex.register(app, services=services, fail=fail)


def main() -> None:
    try:
        app()
    finally:
        if _State.services is not None:
            _State.services.close()


if __name__ == "__main__":
    main()
