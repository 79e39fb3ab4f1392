"""The keep-rate text: last week's kept on time / closed against the best past week, and what is still open
past due beside it (the manager digest's team rate, and App Home's own and team rates)."""

from __future__ import annotations

from records.keep_rate import KeepRateReport


def keep_rate_text(report: KeepRateReport, *, title: str = "Team keep rate") -> str:
    latest, best = report.latest, report.best_past
    if latest is None or (latest.rate is None and not latest.overdue_open):
        return f"*{title}*\nNo promises fell due last week."
    if latest.rate is None:
        text = f"*{title}* last week ({latest.label}): none of the promises due was closed."
    else:
        text = (f"*{title}* last week ({latest.label}): *{latest.rate:.0%}* kept on time "
                f"({latest.kept_on_time} of {latest.closed} closed; {latest.kept_late} kept late, "
                f"{latest.broken} broken).")
    if latest.overdue_open:
        many = latest.overdue_open != 1
        text += (f"\n{latest.overdue_open} promise{'s' if many else ''} due last week "
                 f"{'are' if many else 'is'} still open past due: not in the rate until closed, "
                 "and already too late to be kept on time.")
    text += "\n" + report.best_past_text()
    if best is not None and best.rate is not None:
        if report.below_best:
            text += " :small_red_triangle_down: Below the best: the standard is the best week, not the average."
        elif latest.rate is not None:
            text += " :white_check_mark: At or above the best."
    if latest.customers:
        text += (f"\nCustomers: {latest.customers_all_kept} of {latest.customers} "
                 f"({latest.customer_rate:.0%}) had every promise kept on time.")
    return text
