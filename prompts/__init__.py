"""Prompt data: the lens library and the brief templates, loaded at run time from this folder."""

from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent
