"""HTTP interface: FastAPI routers, request/response schemas, problem+json.

Thin: parse input, call one service, render. Imports services, never storage internals.
"""
