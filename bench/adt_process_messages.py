"""The processing benchmark's messages: realistic synthetic A01, A08 and A03 of one visit (MSH, EVN, PID with
two identifiers, PD1, NK1, a full PV1, PV2, two DG1; about 1.2 KB, like bench/adt_messages.py's A03), with
the event, control id, patient, visit and MSH-7 chosen by the caller. No real person: names, numbers and
addresses are made up. Built whole for each message: the processing, not the generator, is measured here.
"""

from datetime import datetime, timedelta

from bench.adt_messages import ATTENDING, FACILITY, pv1_segment

IDENTIFIER_AUTHORITY = "SBX"  # the shipped sandbox.toml maps it to the sandbox's MRN system


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S+0000")


def _pv1(*, visit: str, admitted: datetime, discharged: datetime | None) -> str:
    return pv1_segment(
        visit=visit, admitted=_stamp(admitted), discharged=_stamp(discharged) if discharged else ""
    )


def adt_message(
    event: str,
    *,
    control: str,
    mrn: str,
    visit: str,
    when: datetime,
    admitted: datetime,
    phone: str = "5550100",
) -> bytes:
    """One HL7 v2.5.1 ADT message of `event` ("A01", "A08", "A03") sent at `when` (UTC, MSH-7 and EVN-2);
    an A03 discharges at `when`. `phone` lets successive A08s say something new."""
    stamp = _stamp(when)
    segments = [
        f"MSH|^~\\&|BENCHENGINE|{FACILITY}|SMARTAPP|SMARTAPP|{stamp}||ADT^{event}^ADT_{event}|{control}|P|2.5.1",
        f"EVN|{event}|{stamp}|||{ATTENDING}|{stamp}",
        f"PID|1||{mrn}^^^{IDENTIFIER_AUTHORITY}^MR~{mrn}9^^^SBXLAB^PI||Benchpatient^Alex^Jordan^^^^L|"
        f"Synthetic^^^^^^M|19620417|F|||100 Example Street^Apt 4^Springfield^IL^62701^USA^H||"
        f"^PRN^PH^^1^217^{phone}~^NET^Internet^alex.benchpatient@example.org|^WPN^PH^^1^217^5550199|eng|M|"
        f"NON|{visit}^^^SBX^AN|||N||||||N",
        "PD1|||Sandbox Community Clinic^^1001|D9876^Primary^Pat^^^^MD",
        "NK1|1|Benchpatient^Casey|SPO^Spouse^HL70063|100 Example Street^^Springfield^IL^62701^USA|"
        "^PRN^PH^^1^217^5550101||EC^Emergency Contact^HL70131",
        _pv1(visit=visit, admitted=admitted, discharged=when if event == "A03" else None),
        f"PV2|||I50.9^Heart failure, unspecified^I10||||||{admitted:%Y%m%d}|3|||||||||||||||||||||||||||N",
        f"DG1|1||I50.9^Heart failure, unspecified^I10||{stamp}|A|||||||||1|{ATTENDING}",
        f"DG1|2||E11.9^Type 2 diabetes mellitus without complications^I10||{stamp}|W",
    ]
    return ("\r".join(segments) + "\r").encode()


def long_stay(*, tag: str, updates: int, admitted: datetime) -> list[bytes]:
    """One visit: an A01, `updates` A08s (a new phone number each, a minute apart), then the A03."""
    visit, mrn = f"VL{tag}", f"SBXL{tag}"
    events = ["A01"] + ["A08"] * updates + ["A03"]
    return [
        adt_message(
            event,
            control=f"L{tag}{seq:05d}",
            mrn=mrn,
            visit=visit,
            when=admitted + timedelta(minutes=seq),
            admitted=admitted,
            phone=f"555{seq:04d}",
        )  # fmt: skip
        for seq, event in enumerate(events)
    ]


def burst(*, tag: str, visits: int, admitted: datetime) -> list[bytes]:
    """`visits` distinct visits of distinct patients: every admit (a second apart), then every discharge,
    in MSH-7 order, as an engine's queue replays a morning's admits and an afternoon's discharges. A visit's
    A03 is thus processed in a later batch than its A01, and re-reads it."""
    discharged = admitted + timedelta(hours=6)
    messages = []
    for event, start in (("A01", admitted), ("A03", discharged)):
        for i in range(visits):
            when = start + timedelta(seconds=i)
            control, mrn, visit = f"B{tag}{event}{i:06d}", f"SBXB{tag}{i:06d}", f"VB{tag}{i:06d}"
            messages.append(
                adt_message(event, control=control, mrn=mrn, visit=visit, when=when, admitted=admitted)
            )
    return messages
