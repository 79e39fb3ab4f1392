"""How the brief states the decision it is about: the substance, not the asking."""

import pytest

from briefs.advisor import one_line


@pytest.mark.parametrize(("question", "decision"), [
    ("We plan to extend the partner to all calls after 6pm — what's the customer impact?",
     "Extend the partner to all calls after 6pm"),
    ("We're thinking of dropping the text survey — good idea?", "Dropping the text survey"),
    ("Customer C00109 wants to keep the loyalty discount — should we let them?",
     "Customer C00109 wants to keep the loyalty discount"),
    # Still a question without its framing: it keeps its question mark.
    ("Should long-standing customers get a call before a price rise?",
     "Should long-standing customers get a call before a price rise?"),
    ("Should we charge for paper bills?", "Charge for paper bills"),
    # A dash that carries the decision on is kept.
    ("We plan to move billing — and the billing team — to Leeds.", "Move billing — and the billing team — to Leeds"),
])
def test_the_decision_is_stated_without_the_closing_ask(question: str, decision: str) -> None:
    assert one_line(question) == decision
