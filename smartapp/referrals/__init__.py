"""Follow-up tracking: referrals synced in the background and the care coordinator's worklist."""
