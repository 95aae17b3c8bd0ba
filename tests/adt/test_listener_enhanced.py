"""Enhanced acknowledgement mode (MSH-15/16 valued, HL7 v2.5.1 2.9.3): the accept ACK is CA/CE/CR, sent
only when MSH-15 asks for it (AL always, NE never, ER only on an error, SU only on success)."""

import pytest

from smartapp.adt import checks
from smartapp.adt.models import InboundMessage
from tests.adt.listener_harness import listening
from tests.adt.mllp_client import MllpClient, ack_fields, adt

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client():
    with listening() as listener, MllpClient(listener.address) as connected:
        yield connected


def answers(client, *messages: bytes) -> list[tuple[str, str]]:
    """Send the messages, then an AL marker; the (code, control id) of every ACK up to the marker's."""
    client.send(*messages, adt("MARKER", accept_ack="AL", app_ack="NE"))
    seen = []
    while not seen or seen[-1][1] != "MARKER":
        fields = ack_fields(client.receive())
        seen.append((fields["code"], fields["acknowledges"]))
    return seen[:-1]


def test_al_gets_ca_once_stored(client):
    assert answers(client, adt("C1", accept_ack="AL", app_ack="AL")) == [("CA", "C1")]
    assert InboundMessage.objects.get(control_id="C1").app_ack == "AL"


def test_al_gets_cr_with_the_err_for_a_refused_message(client):
    client.send(adt("C1", accept_ack="AL", event="A02"))
    fields = ack_fields(client.receive())

    assert (fields["code"], fields["error"]) == ("CR", checks.UNSUPPORTED_EVENT.error_code)


def test_al_gets_ce_for_a_message_in_error(client):
    client.send(adt("C1", accept_ack="AL", pid3=""))

    assert ack_fields(client.receive())["code"] == "CE"


def test_ne_gets_no_accept_ack_but_is_stored(client):
    assert answers(client, adt("C1", accept_ack="NE", app_ack="AL")) == []
    assert InboundMessage.objects.filter(control_id="C1").exists()


def test_er_answers_only_an_error(client):
    ok, refused = adt("C1", accept_ack="ER"), adt("C2", accept_ack="ER", event="A02")

    assert answers(client, ok, refused) == [("CR", "C2")]


def test_su_answers_only_a_success(client):
    ok, refused = adt("C1", accept_ack="SU"), adt("C2", accept_ack="SU", event="A02")

    assert answers(client, ok, refused) == [("CA", "C1")]


def test_app_ack_alone_is_enhanced_mode_with_an_accept_ack(client):
    # MSH-15 empty with MSH-16 valued: enhanced mode, and an empty MSH-15 there counts as AL.
    assert answers(client, adt("C1", app_ack="AL")) == [("CA", "C1")]
