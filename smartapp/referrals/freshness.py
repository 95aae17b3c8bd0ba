"""How fresh each connection's worklist data is (being built for issue 12 §4)."""


def connection_freshness(connections) -> list:
    return []
