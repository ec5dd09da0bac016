package io.reactoruring.benchmarks.file;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** fio's io_uring engine as the ceiling of the file reports: one job, time based, JSON output. */
final class Fio {
    private static final Pattern READ_IOPS = Pattern.compile("\"read\"\\s*:\\s*\\{.*?\"iops\"\\s*:\\s*([0-9.]+)", Pattern.DOTALL);

    private Fio() {
    }

    /**
     * Runs {@code fio --ioengine=io_uring} on {@code data} for {@code seconds} with the given extra
     * arguments ({@code --rw}, {@code --bs}, {@code --iodepth}, ...) and returns its read IOPS, or null
     * where fio is missing or failed (said so on stdout, so a report without a ceiling is explained).
     */
    static Double readIops(Path data, int seconds, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("fio", "--name=ceiling", "--filename=" + data, "--ioengine=io_uring",
                "--time_based", "--runtime=" + seconds, "--numjobs=1", "--output-format=json"));
        cmd.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            System.out.println("# fio not available (" + e.getMessage() + "): no ceiling");
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            System.out.println("# fio failed: " + out);
            return null;
        }
        System.out.println("# " + String.join(" ", cmd));
        Matcher m = READ_IOPS.matcher(out);
        return m.find() ? Double.parseDouble(m.group(1)) : null;
    }
}
