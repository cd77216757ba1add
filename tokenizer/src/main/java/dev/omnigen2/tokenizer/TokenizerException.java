package dev.omnigen2.tokenizer;

/** A tokenizer file that is missing, unreadable or not of the kind this module understands, or a bad argument. */
public final class TokenizerException extends RuntimeException {
    public TokenizerException(String message) { super(message); }
    public TokenizerException(String message, Throwable cause) { super(message, cause); }
}
