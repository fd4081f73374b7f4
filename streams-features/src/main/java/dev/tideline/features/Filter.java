package dev.tideline.features;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.SortedSet;

/**
 * A condition on one transaction field: membership in a set of values, or numeric bounds. All given
 * parts must hold.
 */
public record Filter(
        Field field, SortedSet<String> in, Double gt, Double gte, Double lt, Double lte) {

    public boolean test(Event e) {
        if (!in.isEmpty() && !in.contains(field.text(e))) {
            return false;
        }
        if (!field.numeric()) {
            return true;
        }
        double x = field.number(e);
        return (gt == null || x > gt)
                && (gte == null || x >= gte)
                && (lt == null || x < lt)
                && (lte == null || x <= lte);
    }

    ObjectNode canonical() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("field", field.specName());
        if (!in.isEmpty()) {
            node.putArray("in").addAll(List.copyOf(in).stream().map(node::textNode).toList());
        }
        putIfSet(node, "gt", gt);
        putIfSet(node, "gte", gte);
        putIfSet(node, "lt", lt);
        putIfSet(node, "lte", lte);
        return node;
    }

    private static void putIfSet(ObjectNode node, String name, Double value) {
        if (value != null) {
            node.put(name, value);
        }
    }
}
