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
    # A decision still being asked is not stated as decided ("Charge for paper bills").
    ("Should we charge for paper bills?", "Should we charge for paper bills?"),
    ("Can we drop the SMS now the app shows the engineer on a map? Would save £40k a year.",
     "Can we drop the SMS now the app shows the engineer on a map? Would save £40k a year."),
    # A closing ask as a sentence of its own goes; a last question with substance stays, with its mark.
    ("We plan a 300GB allowance next quarter, $10 per extra 50GB. How will customers take it?",
     "A 300GB allowance next quarter, $10 per extra 50GB"),
    ("Finance proposal: e-billing by default from March. Any customer concerns before this goes to LT?",
     "Finance proposal: e-billing by default from March"),
    ("New collections policy: final bills go to an agency after 30 days. Anything we're missing?",
     "New collections policy: final bills go to an agency after 30 days"),
    ("Team leaders want callbacks promised as within 2 working days. Sensible?",
     "Team leaders want callbacks promised as within 2 working days"),
    ("Techs are stretched: keep the 4-hour windows and stop calling ahead. What's the customer impact?",
     "Techs are stretched: keep the 4-hour windows and stop calling ahead"),
    ("Legal wants to cut our refund window from 30 to 14 days. Any customer angle I'm missing before I sign off?",
     "Legal wants to cut our refund window from 30 to 14 days"),
    ("Start two-hour windows with small-business repairs in Q1, households later. Sensible order?",
     "Start two-hour windows with small-business repairs in Q1, households later"),
    ("HR suggests managers spend two days a year on the support queue. Worth making it mandatory?",
     "HR suggests managers spend two days a year on the support queue. Worth making it mandatory?"),
    # Typed in a hurry, without capitals.
    ("thinking we tie the support agents' bonus to their own NPS score. how does that land with customers?",
     "Tie the support agents' bonus to their own NPS score"),
    ("ops plan: close the Reno warehouse and ship everything from Ohio. how does this hit customers?",
     "Ops plan: close the Reno warehouse and ship everything from Ohio"),
    ("marketing wants $400k/yr for naming rights on the ballpark. how does that affect our customers, if at all?",
     "Marketing wants $400k/yr for naming rights on the ballpark"),
    ("HR is looking at letting our phone reps work from home 3 days a week. Does the complaint data tell us "
     "anything about customer impact?", "HR is looking at letting our phone reps work from home 3 days a week"),
    ("Ops wants to stop offering Saturday morning engineer slots to cut overtime. Who gets hurt and how badly?",
     "Ops wants to stop offering Saturday morning engineer slots to cut overtime"),
    ("Marketing wants a refer-a-friend push: £50 credit for the friend who joins. ok from a customer pov?",
     "Marketing wants a refer-a-friend push: £50 credit for the friend who joins"),
    ("Finance is floating a 300GB monthly cap to pay for network upgrades. What will customers feel?",
     "Finance is floating a 300GB monthly cap to pay for network upgrades"),
    # A dash that carries the decision on is kept.
    ("We plan to move billing — and the billing team — to Leeds.", "Move billing — and the billing team — to Leeds"),
])
def test_the_decision_is_stated_without_the_closing_ask(question: str, decision: str) -> None:
    assert one_line(question) == decision
