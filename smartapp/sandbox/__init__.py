"""The built-in sandbox EHR: a FHIR R4 server and a SMART authorization server.

An outside system to the app: the app reaches it only over HTTP, and no app module imports it.
"""
