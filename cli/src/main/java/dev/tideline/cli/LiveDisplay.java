package dev.tideline.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.Display;

/**
 * The demo's progress: redrawn in place on a terminal (JLine's {@link Display}), or a plain line at
 * a steady pace when the output goes elsewhere (a file, a pipe, CI).
 */
interface LiveDisplay extends AutoCloseable {

    /** Shows the current lines; a plain display prints only some of the calls. */
    void show(List<String> lines);

    @Override
    void close();

    /** A terminal display when standard input and output are a terminal, else plain lines. */
    static LiveDisplay open(PrintWriter out, long plainEveryMs) {
        if (System.console() != null) {
            try {
                Terminal terminal = TerminalBuilder.builder().system(true).build();
                if (!Terminal.TYPE_DUMB.equals(terminal.getType())
                        && !Terminal.TYPE_DUMB_COLOR.equals(terminal.getType())) {
                    return new OnTerminal(terminal);
                }
                terminal.close();
            } catch (IOException e) {
                // no usable terminal: plain lines
            }
        }
        return new Plain(out, plainEveryMs);
    }

    /** Redraws the lines in place. */
    final class OnTerminal implements LiveDisplay {
        private final Terminal terminal;
        private final Display display;

        OnTerminal(Terminal terminal) {
            this.terminal = terminal;
            this.display = new Display(terminal, false);
            display.resize(terminal.getHeight(), terminal.getWidth());
        }

        @Override
        public synchronized void show(List<String> lines) {
            display.resize(terminal.getHeight(), terminal.getWidth());
            display.update(lines.stream().map(AttributedString::new).toList(), -1);
            terminal.flush();
        }

        @Override
        public synchronized void close() {
            try {
                terminal.writer().println();
                terminal.flush();
                terminal.close();
            } catch (IOException e) {
                // the summary follows on standard output anyway
            }
        }
    }

    /** One line, every so often. */
    final class Plain implements LiveDisplay {
        private final PrintWriter out;
        private final long everyMs;
        private long last;

        Plain(PrintWriter out, long everyMs) {
            this.out = out;
            this.everyMs = everyMs;
        }

        @Override
        public synchronized void show(List<String> lines) {
            long now = System.currentTimeMillis();
            if (now - last < everyMs) {
                return;
            }
            last = now;
            out.println(String.join(" | ", lines.stream().map(String::strip).toList()));
            out.flush();
        }

        @Override
        public void close() {
            out.flush();
        }
    }
}
