"""A fix for kombu 5.7.0's Redis channel when the broker goes away while a worker is reading from it.

`Channel.close()` first finishes the pending BRPOP read; with Redis gone that read raises a connection
error, and close() stops before it closed anything. The worker's shutdown of the consumer then closes the
channel again, with no transport left, and dies with "Unrecoverable error: AttributeError('NoneType'
object has no attribute 'hostname')" instead of reconnecting (kombu #582 and #659 are the same family).
The failed read has already cleared the poll state, so closing once more finishes the job; the error is
still raised, so kombu goes on to reconnect as it intends.

Applied to kombu 5.7.0 only: another version must be checked again (tests/services/
test_sync_broker_outage.py kills Redis under a real worker and fails if the worker dies).
"""

import kombu
from kombu.transport import redis as kombu_redis

PATCHED_VERSION = "5.7.0"


def apply() -> bool:
    """Patch kombu's Redis Channel.close once; True when the running kombu is the one this fix is for."""
    if kombu.__version__ != PATCHED_VERSION or getattr(kombu_redis.Channel.close, "smartapp_fix", False):
        return kombu.__version__ == PATCHED_VERSION
    original = kombu_redis.Channel.close

    def close_after_broker_loss(self):
        try:
            original(self)
        except self.connection_errors:
            if not self.closed:
                original(self)  # the failed read cleared _in_poll: this time close() runs to the end
            raise

    close_after_broker_loss.smartapp_fix = True
    kombu_redis.Channel.close = close_after_broker_loss
    return True
