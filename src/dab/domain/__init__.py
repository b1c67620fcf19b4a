"""Plain data of the graph (frozen dataclasses), URNs and graph algorithms.

Imports nothing from dab's other layers and no framework.
"""
