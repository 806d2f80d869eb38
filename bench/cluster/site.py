"""The portal as the cluster scenario reaches it: through HAProxy, browsed by merchants."""

import os
import time

from bench.cluster import topology as topo
from bench.reliability.traffic import Browser


class Site:
    base = topo.balancer_url()


RUN = f"{int(time.time()) % 100000:05d}"  # event ids of this run: new events, not duplicates


def load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


class Merchant(Browser):
    """The reliability run's browsing merchant, who tries to log in again if a node dies."""

    def login(self) -> bool:
        for _ in range(5):
            if super().login():
                return True
            self.stop.wait(1)
        return False
