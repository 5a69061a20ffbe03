package dev.metered.testing;

import static io.restassured.RestAssured.given;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scrape of the service's {@code /q/metrics}, parsed. The tests of a module share one running
 * application, so they compare two scrapes (before and after an action) rather than trust an
 * absolute value.
 */
public final class PrometheusScrape {

    /** One line of the exposition: a series and its value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final String text;
    private final List<Sample> samples;

    private PrometheusScrape(String text) {
        this.text = text;
        this.samples = parse(text);
    }

    public static PrometheusScrape now() {
        return new PrometheusScrape(given().when().get("/q/metrics").then().statusCode(200).extract().asString());
    }

    public static PrometheusScrape of(String text) {
        return new PrometheusScrape(text);
    }

    /** The raw exposition text. */
    public String text() {
        return text;
    }

    /** The samples named {@code name} whose labels include all of {@code labels}. */
    public List<Sample> find(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name)
                && labels.entrySet().stream().allMatch(l -> l.getValue().equals(s.labels().get(l.getKey())))).toList();
    }

    /** The sum over {@link #find}; 0 when there is no such series (Micrometer shows a counter only once used). */
    public double value(String name, Map<String, String> labels) {
        return find(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    /** How much {@link #value} grew since {@code before}. */
    public double increase(PrometheusScrape before, String name, Map<String, String> labels) {
        return value(name, labels) - before.value(name, labels);
    }

    static List<Sample> parse(String text) {
        List<Sample> parsed = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            Map<String, String> labels = new LinkedHashMap<>();
            String name;
            int rest;
            if (brace >= 0 && (space < 0 || brace < space)) {
                name = line.substring(0, brace);
                rest = parseLabels(line, brace + 1, labels);
            } else {
                name = line.substring(0, space);
                rest = space;
            }
            String[] valueAndTimestamp = line.substring(rest).trim().split(" ");
            parsed.add(new Sample(name, labels, Double.parseDouble(valueAndTimestamp[0])));
        }
        return parsed;
    }

    /** Reads {@code a="x",b="y\"z"}} from {@code start}; returns the index after the closing brace. */
    private static int parseLabels(String line, int start, Map<String, String> labels) {
        int i = start;
        while (line.charAt(i) != '}') {
            int equals = line.indexOf('=', i);
            String key = line.substring(i, equals).trim();
            StringBuilder value = new StringBuilder();
            int j = equals + 2; // past ="
            while (line.charAt(j) != '"') {
                char c = line.charAt(j);
                if (c == '\\') {
                    char escaped = line.charAt(++j);
                    value.append(escaped == 'n' ? '\n' : escaped);
                } else {
                    value.append(c);
                }
                j++;
            }
            labels.put(key, value.toString());
            i = j + 1;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        return i + 1;
    }
}
