"""The sandbox as a hospital's interface engine: HL7 v2.5.1 ADT messages built from its own Encounters and
sent over MLLP to smartapp's listener, with the faults real feeds show. It imports no smartapp app module:
the two sides meet only on the wire (docs/sandbox.md, "ADT feed")."""
