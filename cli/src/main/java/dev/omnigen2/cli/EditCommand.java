package dev.omnigen2.cli;

import picocli.CommandLine.Command;

/** {@code omnigen2 edit}: generate with at least one input image (instruction editing, in-context generation). */
@Command(name = "edit", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Edit an image by instruction (-i image -p instruction); with several -i, in-context generation.")
final class EditCommand extends GenerateCommand {
    @Override
    int minimumImages() { return 1; }
}
