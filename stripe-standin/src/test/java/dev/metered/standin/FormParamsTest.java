package dev.metered.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FormParamsTest {
  @Test
  void bracketsNestMapsAndIndexesMakeLists() {
    Map<String, Object> params = FormParams.parse("mode=payment"
        + "&line_items[1][quantity]=2&line_items[0][quantity]=5"
        + "&line_items[0][price_data][product_data][name]=Credits%20pack"
        + "&metadata[user_id]=u+1&metadata[0]=zero&expand[]=a&expand[]=b");
    assertEquals("payment", params.get("mode"));
    assertEquals(List.of(
        Map.of("quantity", "5", "price_data", Map.of("product_data", Map.of("name", "Credits pack"))),
        Map.of("quantity", "2")), params.get("line_items"));
    assertEquals(Map.of("user_id", "u 1", "0", "zero"), params.get("metadata"));
    assertEquals(List.of("a", "b"), params.get("expand"));
  }

  @Test
  void malformedNamesAndGappedListsAreRefused() {
    assertThrows(StripeError.class, () -> FormParams.parse("a[b=1"));
    assertThrows(StripeError.class, () -> FormParams.parse("[a]=1"));
    assertThrows(StripeError.class, () -> FormParams.parse("a=1&a[b]=2"));
    assertThrows(StripeError.class, () -> FormParams.parse("a=1&a=2"));
    assertThrows(StripeError.class, () -> FormParams.parse("a[0]=1&a[2]=2"));
    assertThrows(StripeError.class, () -> FormParams.parse("a=%zz"));
  }
}
