package dev.omnigen2.safetensors;

/** A safetensors file or index that cannot be read; the message names the file (and tensor) and what was expected. */
public class SafetensorsException extends RuntimeException {
    public SafetensorsException(String message) { super(message); }

    public SafetensorsException(String message, Throwable cause) { super(message, cause); }
}
