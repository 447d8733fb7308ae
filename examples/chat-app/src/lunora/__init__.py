"""The chat-app's lunora package: workflows, reusable steps and their generated wiring."""
