package dev.omnigen2.cli;

import java.lang.reflect.InvocationTargetException;

/**
 * The jar's Main-Class, compiled for Java 8 so that an old {@code java -jar} can still say what to install
 * instead of failing with UnsupportedClassVersionError. On Java 22+ it hands over to {@link Main}, which
 * checks for the Vector API module.
 */
public final class Boot {
    static final int REQUIRED = 22;

    private Boot() {}

    public static void main(String[] args) throws Throwable {
        int feature = feature(System.getProperty("java.specification.version", "0"));
        if (feature < REQUIRED) {
            System.err.println("error: omnigen2 needs Java " + REQUIRED + " or newer, but this is Java "
                    + System.getProperty("java.version") + " (" + System.getProperty("java.home") + "); install one"
                    + " (e.g. 'apt-get install openjdk-25-jre-headless', or Temurin 25 from adoptium.net) or run"
                    + " bin/omnigen2, which finds it in JAVA_HOME, /usr/lib/jvm, ~/.sdkman or ~/.jdks");
            System.exit(2);
        }
        try {
            Class.forName("dev.omnigen2.cli.Main").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** "1.8" → 8, "17" → 17, "25" → 25. */
    static int feature(String spec) {
        try {
            return spec.startsWith("1.") ? Integer.parseInt(spec.substring(2)) : Integer.parseInt(spec.split("\\.")[0]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
