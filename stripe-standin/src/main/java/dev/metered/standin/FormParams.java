package dev.metered.standin;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decodes Stripe's form encoding, where nesting is written with brackets:
 * {@code line_items[0][price_data][unit_amount]=100&metadata[user_id]=u1}. The result is a tree
 * of {@code Map<String, Object>}, {@code List<Object>} and {@code String} leaves; a level whose
 * keys are all indexes (or empty brackets, which append) becomes a list.
 */
final class FormParams {
  private FormParams() {}

  /** The decoded name/value pairs in their order, for comparing two requests' parameters. */
  static List<Map.Entry<String, String>> pairs(String encoded) {
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    if (encoded == null || encoded.isEmpty()) {
      return pairs;
    }
    for (String part : encoded.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String name = eq < 0 ? part : part.substring(0, eq);
      String value = eq < 0 ? "" : part.substring(eq + 1);
      try {
        pairs.add(Map.entry(decode(name), decode(value)));
      } catch (IllegalArgumentException e) {
        throw StripeError.invalid(null, "The request body is not valid form encoding.");
      }
    }
    return pairs;
  }

  /** Decodes {@code encoded} (a form body or a query string) into a parameter tree. */
  static Map<String, Object> parse(String encoded) {
    Map<String, Object> root = new LinkedHashMap<>();
    for (Map.Entry<String, String> pair : pairs(encoded)) {
      put(root, path(pair.getKey()), pair.getKey(), pair.getValue());
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> tree = (Map<String, Object>) listify(root, "");
    return tree;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /** {@code a[b][0][]} → [a, b, 0, ""]. */
  static List<String> path(String name) {
    List<String> path = new ArrayList<>();
    int open = name.indexOf('[');
    path.add(open < 0 ? name : name.substring(0, open));
    if (path.get(0).isEmpty()) {
      throw StripeError.invalid(name, "Invalid parameter name: '" + name + "'.");
    }
    int at = open;
    while (at >= 0 && at < name.length()) {
      int close = name.indexOf(']', at);
      if (name.charAt(at) != '[' || close < 0) {
        throw StripeError.invalid(name, "Invalid parameter name: '" + name + "'.");
      }
      path.add(name.substring(at + 1, close));
      at = close + 1;
    }
    return path;
  }

  @SuppressWarnings("unchecked")
  private static void put(Map<String, Object> root, List<String> path, String name, String value) {
    Map<String, Object> node = root;
    for (int i = 0; i < path.size(); i++) {
      String key = path.get(i);
      if (key.isEmpty()) {
        // "[]" appends: the next free index at this level.
        key = "\u0000append" + node.size();
      }
      boolean last = i == path.size() - 1;
      Object existing = node.get(key);
      if (last) {
        if (existing != null) {
          throw StripeError.invalid(name, "Received the parameter '" + name + "' twice.");
        }
        node.put(key, value);
      } else {
        if (existing == null) {
          existing = new LinkedHashMap<String, Object>();
          node.put(key, existing);
        } else if (!(existing instanceof Map)) {
          throw StripeError.invalid(name, "Invalid parameter name: '" + name
              + "' conflicts with a plain value of the same name.");
        }
        node = (Map<String, Object>) existing;
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Object listify(Object node, String name) {
    if (!(node instanceof Map)) {
      return node;
    }
    Map<String, Object> map = (Map<String, Object>) node;
    boolean allIndexes = !map.isEmpty();
    for (String key : map.keySet()) {
      allIndexes &= key.startsWith("\u0000append") || key.matches("0|[1-9]\\d{0,5}");
    }
    if (!allIndexes || name.isEmpty() || name.equals("metadata") || name.endsWith("[metadata]")) {
      Map<String, Object> result = new LinkedHashMap<>();
      for (Map.Entry<String, Object> entry : map.entrySet()) {
        String child = name.isEmpty() ? entry.getKey() : name + "[" + entry.getKey() + "]";
        result.put(entry.getKey(), listify(entry.getValue(), child));
      }
      return result;
    }
    TreeMap<Integer, Object> byIndex = new TreeMap<>();
    int appended = 0;
    for (Map.Entry<String, Object> entry : map.entrySet()) {
      boolean append = entry.getKey().startsWith("\u0000append");
      byIndex.put(append ? appended++ : Integer.parseInt(entry.getKey()), entry.getValue());
    }
    if (appended > 0 && appended < map.size()) {
      throw StripeError.invalid(name, "Invalid array: '" + name + "' mixes [] and [index].");
    }
    List<Object> list = new ArrayList<>();
    for (Map.Entry<Integer, Object> entry : byIndex.entrySet()) {
      if (entry.getKey() != list.size()) {
        throw StripeError.invalid(name + "[" + list.size() + "]",
            "Invalid array: '" + name + "' has no element " + list.size() + ".");
      }
      list.add(listify(entry.getValue(), name + "[" + entry.getKey() + "]"));
    }
    return list;
  }
}
