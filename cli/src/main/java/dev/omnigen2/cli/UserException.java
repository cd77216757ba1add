package dev.omnigen2.cli;

/**
 * A mistake in what the user asked for (a missing file, a malformed checkpoint, a bad argument): the CLI prints
 * {@code error: <message>} as one line on stderr and exits with code 2, without a stack trace unless
 * {@code --debug}. Start the message with the file or argument at fault.
 */
public class UserException extends RuntimeException {
    public UserException(String message) { super(message); }

    public UserException(String message, Throwable cause) { super(message, cause); }
}
