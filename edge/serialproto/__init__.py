"""Pure encoders and decoders of the serial frame protocols (keypad, RS-485 LED display, radar)."""
