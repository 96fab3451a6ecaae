using System.Text.Json;
using Storebridge.Sidecar.Config;

namespace Storebridge.Sidecar.PubSub;

/// <summary>Parses the app's answer to <c>GET /dapr/subscribe</c> (v1 <c>route</c> or v2 <c>routes</c> entries).</summary>
internal static class SubscriptionLoader
{
    public static List<SubscriptionSpec> ParseProgrammatic(string json)
    {
        var result = new List<SubscriptionSpec>();
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("/dapr/subscribe must return a JSON array");
        }

        foreach (var entry in doc.RootElement.EnumerateArray())
        {
            var pubsub = Text(entry, "pubsubname") ?? Text(entry, "pubsubName") ?? throw new FormatException("subscription without pubsubname");
            var topic = Text(entry, "topic") ?? throw new FormatException("subscription without topic");
            var route = Text(entry, "route");
            var rules = new List<RouteRule>();
            if (entry.TryGetProperty("routes", out var routes) && routes.ValueKind == JsonValueKind.Object)
            {
                route = Text(routes, "default") ?? route;
                if (routes.TryGetProperty("rules", out var ruleArray) && ruleArray.ValueKind == JsonValueKind.Array)
                {
                    foreach (var rule in ruleArray.EnumerateArray())
                    {
                        if (Text(rule, "path") is { } path)
                        {
                            rules.Add(new RouteRule(Text(rule, "match") ?? "", path));
                        }
                    }
                }
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (entry.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in meta.EnumerateObject())
                {
                    metadata[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }

            result.Add(new SubscriptionSpec(pubsub, topic, route, rules, Text(entry, "deadLetterTopic"), metadata, []));
        }

        return result;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}

/// <summary>
/// The subset of CEL that routing rules use in practice: <c>event.field == "value"</c> / <c>!=</c>, joined by
/// <c>&amp;&amp;</c> or <c>||</c> (no parentheses). Anything else does not match, and the default route applies.
/// </summary>
internal static class RouteMatcher
{
    public static bool Matches(string expression, JsonElement cloudEvent)
    {
        foreach (var alternative in expression.Split("||"))
        {
            if (alternative.Split("&&").All(term => Term(term.Trim(), cloudEvent)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Term(string term, JsonElement ce)
    {
        var negate = term.Contains("!=", StringComparison.Ordinal);
        var parts = term.Split(negate ? "!=" : "==", 2);
        if (parts.Length != 2)
        {
            return false;
        }

        var left = parts[0].Trim();
        var right = parts[1].Trim().Trim('"', '\'');
        if (!left.StartsWith("event.", StringComparison.Ordinal))
        {
            return false;
        }

        JsonElement current = ce;
        foreach (var segment in left["event.".Length..].Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return negate;
            }
        }

        var actual = current.ValueKind == JsonValueKind.String ? current.GetString() : current.GetRawText();
        return negate ? actual != right : actual == right;
    }
}
