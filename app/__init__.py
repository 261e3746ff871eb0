"""The application on top of the stages: composition root, CLI commands, demo, replay,
camera-check and the traffic simulator. It may import every stage; nothing imports it."""
