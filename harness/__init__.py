"""Starting the product's processes for the tests and the benchmarks: the single-machine stack
(`stack.py`), the scaled one behind HAProxy (`scaled_stack.py`), a cuttable TCP proxy for outage
tests (`tcp_proxy.py`) and where the local services are (`servers.py`)."""
