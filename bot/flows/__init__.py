"""What the listeners do, shared: each listener parses its payload and calls one of these flows.

Flows read and write the records, open modals and post through the runtime (`bot/runtime.py`); listeners
never reach the records themselves, and never import one another.
"""
