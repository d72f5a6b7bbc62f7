"""Cerebros architecture search (the hops of one fit are written in the next commit)."""
