"""A registration's `[adt]` table (ehr/adt_links.py): what it accepts, and a clear error naming the field
for anything else."""

import pytest

from smartapp.ehr.adt_links import AdtLink, AdtLinkInvalid, adt_link

SYSTEM = "urn:oid:1.2.3.4.6"


def test_no_table_is_no_feed():
    assert adt_link(None, loopback_ok=False) is None


def test_a_whole_table_is_read_as_written():
    table = {
        "facilities": ["GENHOSP", "GEN-ED"],
        "visit_system": "urn:oid:1.2.3.4.5",
        "identifier_systems": {"GENHOSP": SYSTEM},
        "return_address": "127.0.0.1:2576",
        "time_zone": "America/Chicago",
    }
    assert adt_link(table, loopback_ok=True) == AdtLink(
        facilities=("GENHOSP", "GEN-ED"),
        visit_system="urn:oid:1.2.3.4.5",
        identifier_systems={"GENHOSP": SYSTEM},
        return_address="127.0.0.1:2576",
        time_zone="America/Chicago",
    )


def test_the_defaults_of_a_table_naming_only_its_facilities():
    link = adt_link({"facilities": ["GENHOSP"]}, loopback_ok=False)
    defaults = (link.visit_system, link.identifier_systems, link.return_address, link.time_zone)
    assert defaults == ("", {}, "", "")


@pytest.mark.parametrize(
    ("table", "names"),
    [
        ({"facilities": ["GENHOSP"], "timezone": "UTC"}, "`[adt]` may only name"),
        ([], "`[adt]` may only name"),
        ({}, "`[adt]` needs `facilities`"),
        ({"facilities": []}, "`[adt]` needs `facilities`"),
        ({"facilities": "GENHOSP"}, "`[adt]` needs `facilities`"),
        ({"facilities": ["GEN HOSP"]}, "`[adt] facilities`"),
        ({"facilities": ["GEN^HOSP"]}, "`[adt] facilities`"),
        ({"facilities": ["G"], "identifier_systems": {"GENHOSP": ""}}, "`[adt.identifier_systems]`"),
        ({"facilities": ["G"], "identifier_systems": ["GENHOSP"]}, "`[adt.identifier_systems]`"),
        ({"facilities": ["G"], "visit_system": 5}, "`[adt] visit_system`"),
        ({"facilities": ["G"], "return_address": "10.0.0.5"}, "`[adt] return_address` must be host:port"),
        ({"facilities": ["G"], "return_address": 2576}, "`[adt] return_address` must be host:port"),
        ({"facilities": ["G"], "time_zone": "Central"}, "`[adt] time_zone` must be an IANA zone name"),
        ({"facilities": ["G"], "time_zone": "../../etc/passwd"}, "`[adt] time_zone` must be an IANA zone"),
        ({"facilities": ["G"], "time_zone": -6}, "`[adt] time_zone` must be an IANA zone name"),
    ],
    ids=lambda value: "" if isinstance(value, str) else None,
)
def test_a_wrong_table_is_refused_naming_its_field(table, names):
    with pytest.raises(AdtLinkInvalid, match=names.replace("[", r"\[").replace("]", r"\]")):
        adt_link(table, loopback_ok=False)


def test_a_return_address_on_loopback_only_where_loopback_is_allowed():
    table = {"facilities": ["G"], "return_address": "127.0.0.1:2576"}
    assert adt_link(table, loopback_ok=True).return_address == "127.0.0.1:2576"
    with pytest.raises(AdtLinkInvalid, match="return_address"):
        adt_link(table, loopback_ok=False)
