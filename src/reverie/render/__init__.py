"""Rendering approved rules into prompt templates, records of renders, export into files."""
