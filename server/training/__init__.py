"""Shared training machinery: the compiled epoch engine and its pool (`engine`), the dense
network (`dense`), optimizers, and the job base classes (`job`). Nothing here knows a problem.
"""
