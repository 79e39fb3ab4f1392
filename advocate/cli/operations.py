"""`advocate export|import-export|forget-customer|clear-chroma-dir|reindex|doctor|migrate`: running an installation.

The work itself is in operations/ (and records/migrate.py); these commands parse the arguments, call it
with the parts it needs and print what it did.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from advocate.cli.console import EXIT_BAD_INPUT, fail, note, print_json, say
from advocate.cli.context import services

if TYPE_CHECKING:
    from operations.export import KnowledgeRestore

app = typer.Typer()


# -- export and import ------------------------------------------------------------------------------------
@app.command("export")
def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder to write the export into (new or empty).")],
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as one JSON object.")] = False,
) -> None:
    """Export customers, staff, promises, thanks, advocates, decisions and the knowledge index's sources."""
    from knowledge.chroma import StoreMismatch
    from operations.export import ExportProblem, export_data

    svc = services(ctx)
    try:
        result = export_data(
            records=svc.records, store=svc.store, record_manager=svc.ingestor.record_manager,
            embedding_model=svc.settings.embedding_model, collection=svc.settings.collection,
            directory=directory, force=force,
        )
    except ExportProblem as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except StoreMismatch as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write the export into {directory} ({exc.strerror})") from None
    if as_json:
        print_json(result.manifest)
    else:
        say(result.line())


@app.command("import-export")
def import_export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="A folder written by `advocate export`.")],
    reingest: Annotated[
        bool, typer.Option("--reingest", help="Ingest the exported sources again where they are.")
    ] = False,
    knowledge_only: Annotated[
        bool, typer.Option("--knowledge-only", help="Skip the records; only restore the knowledge index.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was restored as one JSON object.")] = False,
) -> None:
    """Restore an export into an empty data dir or database (records in one transaction)."""
    from knowledge.chroma import StoreMismatch
    from operations.export import ExportProblem, NotEmpty, import_records, read_export, restore_knowledge

    try:
        contents = read_export(directory)
    except ExportProblem as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    svc = services(ctx)
    counts: dict[str, int] = {}
    if not knowledge_only:
        try:
            counts = import_records(svc.records, contents)
        except NotEmpty as exc:
            raise fail(str(exc), EXIT_BAD_INPUT) from None
        except Exception as exc:  # an integrity error, a lost connection: nothing was written
            raise fail(f"nothing was imported: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    configured = svc.settings.embedding_model
    if (reingest or knowledge_only) and contents.manifest.get("embedding_model") != configured:
        note(f"note: the export's chunks were embedded with {contents.manifest.get('embedding_model')!r}; "
             f"they are embedded again with {configured!r}")
    try:
        restored = restore_knowledge(ingestor=svc.ingestor, contents=contents, reingest=reingest or knowledge_only)
    except StoreMismatch as exc:
        raise fail(str(exc)) from None
    if as_json:
        print_json({"records": counts, "knowledge": restored.as_json()})
        return
    if counts:
        say(f"restored from {directory}: " + ", ".join(f"{n:,} {t.replace('_', ' ')}" for t, n in counts.items()))
    print_knowledge_restored(restored, directory)


def print_knowledge_restored(restored: KnowledgeRestore, directory: Path) -> None:
    from operations.export import ingest_commands

    for summary in restored.summaries:
        for rejection in summary.rejections:
            note(f"rejected {rejection}")
    if restored.ingested:
        files = sum(len(p) for p in restored.ingested.values())
        chunks = sum(s.added + s.updated for s in restored.summaries)
        skipped = sum(s.skipped for s in restored.summaries)
        say(f"knowledge: ingested {files} source files again ({chunks} chunks written, {skipped} already stored)")
    for path in restored.changed:
        note(f"note: {path} changed since the export; ingested as it is now")
    if restored.slack_restored or restored.slack_waiting:
        what = (f"restored {restored.slack_restored}" if restored.slack_restored
                else f"{restored.slack_waiting} waiting (run with --reingest or --knowledge-only)")
        say(f"knowledge: Slack feedback messages {what}")
    if restored.to_ingest:
        say(f"knowledge: {len(restored.to_ingest)} source files are where the export found them; ingest them "
            f"with `advocate import-export {directory} --knowledge-only`, or:")
        for line in ingest_commands(restored.to_ingest):
            say(f"  {line}")
    if restored.missing:
        say(f"knowledge: {len(restored.missing)} source files are not where the export found them; copy "
            "them back and ingest them:")
        for line in ingest_commands(restored.missing):
            say(f"  {line}")


# -- forgetting a customer -----------------------------------------------------------------------------------
@app.command("forget-customer")
def forget_customer(
    ctx: typer.Context,
    customer_id: Annotated[str, typer.Argument(help="The customer's id, e.g. C00105.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was removed as one JSON object.")] = False,
) -> None:
    """Remove a customer's records and feedback, and mask them in decision logs (cannot be undone)."""
    from knowledge.chroma import StoreMismatch
    from operations.forget import CustomerForgetter, UnknownCustomer, freed_space_lines, plan_text, report_text

    if not customer_id.strip():
        raise fail("the customer id is empty; give an id like C00105", EXIT_BAD_INPUT)
    svc = services(ctx)
    try:
        forgetter = CustomerForgetter(records=svc.records, store=svc.store, record_manager=svc.ingestor.record_manager)
        plan = forgetter.plan(customer_id)
    except UnknownCustomer as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except StoreMismatch as exc:
        raise fail(str(exc)) from None
    if plan.nothing_left:
        # An earlier run may have stopped before the files were cleared: clearing again is harmless.
        to_do = forgetter.clear_traces()
        if as_json:
            print_json({"customer_id": plan.customer_id, "already_forgotten": True,
                        "freed_space": {"cleared": True, "to_do": to_do}})
        else:
            say("\n".join([f"{plan.customer_id} was forgotten before; nothing of theirs is stored",
                           *freed_space_lines(to_do)]))
        return
    note(plan_text(plan))
    if not yes:
        ask_to_forget()
    try:
        report = forgetter.forget(plan)
    except KeyboardInterrupt:
        raise fail("interrupted: run the same command again to finish forgetting", 130) from None
    except Exception as exc:  # a lost database or Chroma connection part-way
        raise fail(f"forgetting stopped part-way ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                   "run the same command again to finish") from None
    if as_json:
        print_json(report.as_json())
    else:
        say(report_text(report))
    if report.remaining:
        raise typer.Exit(1)


def ask_to_forget() -> None:
    """Ask at the terminal; anything but yes (or no answer at all) ends the command, nothing changed."""
    import click

    try:
        confirmed = typer.confirm("This cannot be undone. Forget this customer?", default=False, err=True)
    except (typer.Abort, click.exceptions.Abort):  # no answer (end of input)
        confirmed = False
    if not confirmed:
        raise fail("not confirmed: nothing was changed (pass --yes to skip the question)", 1)


@app.command("clear-chroma-dir")
def clear_chroma_dir(
    directory: Annotated[Path, typer.Argument(help="A Chroma server's --path folder (the server stopped).")],
) -> None:
    """Clear a stopped Chroma server's folder after forget-customer: freed pages, index files' unused slots."""
    from knowledge.chroma import CHROMA_SQLITE, clear_directory

    if not (directory / CHROMA_SQLITE).is_file():
        raise fail(f"{directory} holds no {CHROMA_SQLITE}: give the folder the Chroma server runs with (its --path)",
                   EXIT_BAD_INPUT)
    try:
        problems = clear_directory(directory)
    except sqlite3.OperationalError as exc:
        raise fail(f"cannot rewrite {directory / CHROMA_SQLITE} ({exc}): stop the Chroma server first, then run "
                   "this again") from None
    except OSError as exc:
        raise fail(f"cannot write {exc.filename} ({exc.strerror}): run this as the user the Chroma server runs "
                   "as") from None
    for problem in problems:
        note(problem)
    if problems:
        raise typer.Exit(1)
    say(f"cleared {directory}: freed pages and the vector indexes' unused slots hold nothing now")


# -- reindex -----------------------------------------------------------------------------------------------
@app.command("reindex")
def reindex(
    ctx: typer.Context,
    keep_old: Annotated[
        bool, typer.Option("--keep-old", help="Keep the old collection after the switch (delete it later).")
    ] = False,
    drop_old: Annotated[
        bool, typer.Option("--drop-old", help="Only delete collections kept by an earlier --keep-old.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as one JSON object.")] = False,
) -> None:
    """Rebuild the knowledge collection with the configured EMBEDDING_MODEL; switch over when complete."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from advocate.cli.console import err
    from knowledge.embeddings import EmbeddingModelError
    from operations import reindex as rebuild

    svc = services(ctx)
    where = {"engine": svc.records.engine, "client": svc.store.client, "collection": svc.settings.collection}
    if drop_old:
        dropped = rebuild.drop_retired(**where)
        if as_json:
            print_json({"dropped": dropped})
        else:
            say(f"deleted {', '.join(dropped)}" if dropped else "no old collections to delete")
        return
    try:
        with Progress(
            TextColumn("[bold]reindex[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True,
        ) as progress:
            task = progress.add_task("", total=None)
            report = rebuild.reindex(
                **where, embedder=svc.embedder, embedding_model=svc.settings.embedding_model, keep_old=keep_old,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except rebuild.NothingToReindex as exc:
        say(str(exc))
        return
    except (rebuild.ReindexError, EmbeddingModelError) as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        raise fail("interrupted: the old collection is still live; run `advocate reindex` again", 130) from None
    if as_json:
        print_json(report.as_dict())
    else:
        say(report.line())
    note("restart the Slack app and the scheduler: they read the live collection when they start")


# -- doctor and migrate ------------------------------------------------------------------------------------
@app.command("doctor")
def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as one JSON object.")] = False,
) -> None:
    """Check settings, records database, embedding model, vector store, Slack and the scheduled jobs."""
    from advocate.settings import load_settings
    from operations.doctor import run_checks

    results = run_checks(load=load_settings, services=lambda: services(ctx))
    failed = any(r.failed for r in results)
    if as_json:
        print_json({"ok": not failed, "checks": [r.as_dict() for r in results]})
    else:
        for result in results:
            say(result.line())
    if failed:
        raise typer.Exit(1)


@app.command("migrate")
def migrate(ctx: typer.Context) -> None:
    """Bring the records database to the newest schema (every process also does this when it starts)."""
    from records.migrate import MigrationError, current_revision, upgrade_to_head

    engine = services(ctx).engine
    try:
        upgrade_to_head(engine)
        with engine.connect() as connection:
            revision = current_revision(connection)
    except MigrationError as exc:
        raise fail(str(exc)) from None
    say(f"records database at migration {revision} (the newest)")
