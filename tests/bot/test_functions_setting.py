"""ADVOCATE_FUNCTIONS: an organisation names its own functions (or points at its own functions file)
and the roster, the help and the advocate loop-in follow, without editing code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from advocate.services import build_services
from advocate.settings import SettingsError, load_settings
from briefs.functions import configured_functions, guess_function, load_functions
from knowledge.embeddings import SentenceTransformerEmbeddings
from prompts import PROMPTS_DIR
from tests.bot import payloads
from tests.bot.conftest import ADMIN, ASKER, GENERAL, Slack, bot_settings, briefs, ingest_small_pack, make_slack
from tests.bot.test_asking import mention
from tests.slack_api_server import SlackApiServer
from tests.slack_checks import texts

OWN_FILE = """\
version: 1
functions:
  - id: care
    title: Customer Care
    words: [callback, callbacks, chatbot, helpline]
  - id: field
    title: Field Engineering
    words: [engineer, engineers, install]
"""


def test_names_pick_packaged_functions_and_add_new_ones(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, advocate_functions=" Service, finance , Customer Success ")
    functions = build_services(settings, embedder=DeterministicFakeEmbedding(size=8)).functions
    assert [(f.id, f.title) for f in functions] == [
        ("service", "Service"), ("finance", "Finance"), ("customer-success", "Customer Success")]
    assert "callbacks" in functions[0].words  # a packaged function keeps its words
    assert functions[2].words == ("customer success",)  # a new one is known by its name


def test_a_functions_file_of_the_organisations_own(tmp_path: Path) -> None:
    own = tmp_path / "our-functions.yaml"
    own.write_text(OWN_FILE, encoding="utf-8")
    settings = load_settings(data_dir=tmp_path, advocate_functions=str(own))
    functions = build_services(settings, embedder=DeterministicFakeEmbedding(size=8)).functions
    assert [(f.id, f.title) for f in functions] == [("care", "Customer Care"), ("field", "Field Engineering")]


def test_unset_means_the_eight_packaged_functions(tmp_path: Path) -> None:
    functions = build_services(load_settings(data_dir=tmp_path), embedder=DeterministicFakeEmbedding(size=8)).functions
    assert [f.id for f in functions] == ["service", "sales", "marketing", "finance", "product", "operations", "people",
                                          "it"]


@pytest.mark.parametrize(("value", "reason"), [
    ("service, Service", "named twice"),
    (" , ", "names no functions"),
    ("missing/functions.yaml", "cannot read"),
    ("service, <!channel>", "is not a function name"),
])
def test_a_bad_value_is_one_line_naming_the_setting(tmp_path: Path, value: str, reason: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(data_dir=tmp_path, advocate_functions=value)
    message = str(raised.value)
    assert message.startswith("setting ADVOCATE_FUNCTIONS is invalid:") and reason in message
    assert "\n" not in message


def test_a_file_without_ids_or_with_two_word_ids_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("functions:\n  - title: Care\n    words: [callback]\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="each function needs id, title and words"):
        load_settings(data_dir=tmp_path, advocate_functions=str(broken))
    broken.write_text("functions:\n  - id: customer care\n    title: Care\n    words: [callback]\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="must be one lower-case word"):
        load_settings(data_dir=tmp_path, advocate_functions=str(broken))


@pytest.fixture
def own_functions_slack(tmp_path: Path, slack_api: SlackApiServer,
                        real_embedder: SentenceTransformerEmbeddings) -> Iterator[Slack]:
    settings = bot_settings(tmp_path / "data", slack_api, advocate_functions="service, Customer Success")
    services = build_services(settings, embedder=real_embedder)
    ingest_small_pack(services, tmp_path / "pack")
    harness, bot = make_slack(services, slack_api)
    yield harness
    bot.close()
    services.close()


def command(slack: Slack, text: str, *, user: str) -> dict:
    response = slack.post(payloads.slash_command(text, user=user, channel=GENERAL,
                                                 response_url=slack.api.response_url()))
    slack.wait()
    return response.json() if response.text else slack.api.app_state.responses[-1]


def test_the_slack_app_uses_the_configured_functions(own_functions_slack: Slack) -> None:
    slack = own_functions_slack
    shown = "\n".join(texts(command(slack, "help", user=ASKER)["blocks"]))
    assert "Functions: service, customer-success." in shown
    refused = command(slack, "advocates add <@U0CARL0001|carl> sales", user=ADMIN)["text"]
    assert refused == "Give one of the functions: service, customer-success."
    added = command(slack, "advocates add <@U0CSADV001|cs> customer-success", user=ADMIN)["text"]
    assert added == "<@U0CSADV001> is now a Customer Success customer advocate."
    ts, _ = mention(slack, "we plan to stop customer success check-in calls for small business accounts")
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    section = next(t for t in texts(brief["blocks"]) if t.startswith("*Who should weigh in*"))
    assert "This looks like a Customer Success decision" in section and "<@U0CSADV001>" in section
    [decision] = slack.services.records.slack.decisions()
    assert decision.function == "customer-success" and decision.advocates == ["U0CSADV001"]


def test_an_acronym_names_a_function_only_in_capitals() -> None:
    functions = load_functions(PROMPTS_DIR / "functions.yaml")
    # "it is", "is it" and "24 hr" are not IT's or HR's: the pronoun would otherwise own every decision.
    guess = guess_function("Is it worth it? It is a 24 hr support line we would close", functions)
    assert guess is not None and guess.function.id == "service"
    assert guess_function("Is it worth it if it is cheaper?", functions) is None
    guess = guess_function("IT wants to force two-factor login on the customer portal", functions)
    assert guess is not None and guess.function.id == "it"
    # A function named only in the setting, as an acronym, is matched in capitals too.
    named = configured_functions("service, QA", packaged=PROMPTS_DIR / "functions.yaml")
    assert [f.words for f in named if f.id == "qa"] == [("QA",)]
    assert guess_function("QA wants a week's freeze before each release", named).function.id == "qa"
    assert guess_function("should qa be done by the agents?", named).function.id == "service"
