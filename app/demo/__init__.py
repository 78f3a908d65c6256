"""Data builders behind two commands: `tandem demo` (the demo organisation, built through the
services: app/demo/loader.py, from the story told as data in app/demo/story.py) and `tandem
seed-scale` (a synthetic national-scale data set written in bulk: app/demo/scale/)."""
