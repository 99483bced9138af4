"""The live layer: the websocket endpoint and the broadcast hub."""
