"""A stand-in for the job manager's run, for tests of a training work function."""


class FakeRun:
    """The three methods a work function uses; `stop_after` publishes ends the run."""

    def __init__(self, stop_after=None):
        self.published, self.stop_after = [], stop_after

    def due(self):
        return True

    def publish(self, data, force=False):
        self.published.append(data)

    def should_stop(self):
        return self.stop_after is not None and len(self.published) >= self.stop_after
