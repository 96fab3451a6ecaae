using System.Globalization;
using Storebridge.Sidecar.Resilience;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Storebridge.Sidecar.Config;

/// <summary>A configuration problem: names the file and the field so the user can fix it.</summary>
public sealed class SidecarConfigException(string file, string field, string problem)
    : Exception($"{file}: {field}: {problem}")
{
    /// <summary>The file that holds the problem.</summary>
    public string File { get; } = file;

    /// <summary>The YAML field (dotted path) that holds the problem.</summary>
    public string Field { get; } = field;
}

/// <summary>A Dapr <c>Component</c> resource.</summary>
internal sealed record ComponentSpec(string Name, string Type, string File, IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<string> Scopes)
{
    /// <summary><c>spec.ignoreErrors</c>: a component that fails to initialise is skipped instead of stopping the runtime.</summary>
    public bool IgnoreErrors { get; init; }

    public bool AppliesTo(string appId) => Scopes.Count == 0 || Scopes.Contains(appId, StringComparer.Ordinal);

    public string? Meta(string name) => Metadata.TryGetValue(name, out var value) ? value : null;
}

/// <summary>A route rule of a subscription: CEL <c>match</c> and target path.</summary>
internal sealed record RouteRule(string Match, string Path);

/// <summary>A subscription, programmatic (<c>/dapr/subscribe</c>) or declarative (<c>Subscription</c> YAML).</summary>
internal sealed record SubscriptionSpec(
    string PubSubName,
    string Topic,
    string? DefaultRoute,
    IReadOnlyList<RouteRule> Rules,
    string? DeadLetterTopic,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<string> Scopes)
{
    public bool RawPayload => Metadata.TryGetValue("rawPayload", out var raw) && bool.TryParse(raw, out var on) && on;
}

/// <summary>A named retry policy of a <c>Resiliency</c> resource.</summary>
internal sealed record RetryPolicy(string Name, bool Exponential, TimeSpan Duration, TimeSpan MaxInterval, int MaxRetries)
{
    /// <summary>Used when no resiliency policy targets a pub/sub: keep trying, backing off to one minute.</summary>
    public static readonly RetryPolicy Default = new("default", true, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), -1);

    /// <summary>Delay before retry number <paramref name="retry"/> (1-based).</summary>
    public TimeSpan DelayFor(int retry)
    {
        if (!Exponential)
        {
            return Duration;
        }

        var ms = Duration.TotalMilliseconds * Math.Pow(1.5, Math.Max(0, retry - 1));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxInterval.TotalMilliseconds));
    }

    /// <summary>True when an attempt count (first delivery = 1) has used up the retries.</summary>
    public bool Exhausted(int attempts) => MaxRetries >= 0 && attempts > MaxRetries;
}

/// <summary>The policy names a <c>Resiliency</c> target refers to (each may be missing).</summary>
internal sealed record TargetPolicyNames(string? Retry, string? Timeout, string? CircuitBreaker);

/// <summary>The parts of <c>Resiliency</c> resources the runtime applies.</summary>
internal sealed class ResiliencySpec
{
    public Dictionary<string, RetryPolicy> Retries { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, TimeSpan> Timeouts { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, CircuitBreakerSpec> CircuitBreakers { get; } = new(StringComparer.Ordinal);

    /// <summary>pubsub name -> policies for messages delivered to the app (<c>targets.components.&lt;name&gt;.inbound</c>).</summary>
    public Dictionary<string, TargetPolicyNames> ComponentInbound { get; } = new(StringComparer.Ordinal);

    /// <summary>component name -> policies for calls into the component (<c>targets.components.&lt;name&gt;.outbound</c>).</summary>
    public Dictionary<string, TargetPolicyNames> ComponentOutbound { get; } = new(StringComparer.Ordinal);

    /// <summary>app id -> policies for service invocation of that app (<c>targets.apps.&lt;id&gt;</c>).</summary>
    public Dictionary<string, TargetPolicyNames> Apps { get; } = new(StringComparer.Ordinal);

    public RetryPolicy InboundRetryFor(string pubsub) => Retry(ComponentInbound.GetValueOrDefault(pubsub)) ?? RetryPolicy.Default;

    public RetryPolicy? Retry(TargetPolicyNames? names) => names?.Retry is { } name ? Retries.GetValueOrDefault(name) : null;

    public TimeSpan? Timeout(TargetPolicyNames? names) => names?.Timeout is { } name && Timeouts.TryGetValue(name, out var timeout) ? timeout : null;

    public CircuitBreakerSpec? CircuitBreaker(TargetPolicyNames? names) => names?.CircuitBreaker is { } name ? CircuitBreakers.GetValueOrDefault(name) : null;
}

/// <summary>Dapr's per-sidecar workflow limits (Configuration <c>spec.workflow</c>); null is unlimited, as in daprd.</summary>
internal sealed record WorkflowLimits(int? MaxConcurrentWorkflowInvocations, int? MaxConcurrentActivityInvocations);

/// <summary>Everything read from the resources paths (and <c>--config</c>).</summary>
internal sealed class LoadedResources
{
    public List<ComponentSpec> Components { get; } = [];

    public List<SubscriptionSpec> Subscriptions { get; } = [];

    public ResiliencySpec Resiliency { get; } = new();

    /// <summary><c>spec.workflow</c> of the <c>--config</c> Configuration: per-sidecar workflow concurrency (null: unlimited).</summary>
    public WorkflowLimits Workflow { get; private set; } = new(null, null);

    /// <summary>Reads every <c>*.yaml</c>/<c>*.yml</c> under the paths. Scoped resources for other apps are skipped.</summary>
    public static LoadedResources Load(IEnumerable<string> paths, string appId, string? configFile)
    {
        var result = new LoadedResources();
        foreach (var dir in paths)
        {
            if (!Directory.Exists(dir))
            {
                throw new SidecarConfigException(dir, "--resources-path", "directory does not exist");
            }

            foreach (var file in Directory.EnumerateFiles(dir).Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal))
            {
                foreach (var doc in ReadDocuments(file))
                {
                    result.Add(file, doc, appId);
                }
            }
        }

        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new SidecarConfigException(configFile, "--config", "file does not exist");
            }

            foreach (var doc in ReadDocuments(configFile))
            {
                var kind = Scalar(doc, "kind");
                if (kind != "Configuration")
                {
                    throw new SidecarConfigException(configFile, "kind", $"expected Configuration, found '{kind}'");
                }

                if (doc.Children.TryGetValue(new YamlScalarNode("spec"), out var spec) && spec is YamlMappingNode specMap
                    && specMap.Children.TryGetValue(new YamlScalarNode("workflow"), out var workflow) && workflow is YamlMappingNode workflowMap)
                {
                    result.Workflow = new WorkflowLimits(
                        PositiveInt(configFile, "spec.workflow.maxConcurrentWorkflowInvocations", Scalar(workflowMap, "maxConcurrentWorkflowInvocations")),
                        PositiveInt(configFile, "spec.workflow.maxConcurrentActivityInvocations", Scalar(workflowMap, "maxConcurrentActivityInvocations")));
                }
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in result.Components)
        {
            if (!names.Add(component.Name))
            {
                throw new SidecarConfigException(component.File, "metadata.name", $"component '{component.Name}' is defined twice");
            }
        }

        return result;
    }

    internal static List<YamlMappingNode> ReadDocuments(string file)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = File.OpenText(file);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new SidecarConfigException(file, $"line {ex.Start.Line}", $"malformed YAML: {ex.Message}");
        }

        var docs = new List<YamlMappingNode>();
        foreach (var doc in stream.Documents)
        {
            if (doc.RootNode is YamlMappingNode map)
            {
                docs.Add(map);
            }
            else if (doc.RootNode is not YamlScalarNode { Value: null or "" })
            {
                throw new SidecarConfigException(file, "(document)", "expected a mapping at the top level");
            }
        }

        return docs;
    }

    private void Add(string file, YamlMappingNode doc, string appId)
    {
        // Like daprd, YAML that is not a Dapr resource (other tools' files next to the components) is skipped.
        if (Scalar(doc, "apiVersion") is not { } apiVersion || !apiVersion.StartsWith("dapr.io/", StringComparison.Ordinal))
        {
            return;
        }

        var kind = Scalar(doc, "kind") ?? throw new SidecarConfigException(file, "kind", "missing");
        var scopes = Sequence(doc, "scopes", file);
        if (scopes.Count > 0 && !scopes.Contains(appId, StringComparer.Ordinal))
        {
            return;
        }

        switch (kind)
        {
            case "Component":
                Components.Add(ParseComponent(file, doc, scopes));
                break;
            case "Subscription":
                Subscriptions.Add(ParseSubscription(file, doc, scopes));
                break;
            case "Resiliency":
                ParseResiliency(file, doc);
                break;
            case "Configuration":
            case "HTTPEndpoint":
                break;
            default:
                throw new SidecarConfigException(file, "kind", $"unsupported resource kind '{kind}'");
        }
    }

    private static ComponentSpec ParseComponent(string file, YamlMappingNode doc, IReadOnlyList<string> scopes)
    {
        var name = Scalar(Mapping(doc, "metadata", file), "name") ?? throw new SidecarConfigException(file, "metadata.name", "missing");
        var spec = Mapping(doc, "spec", file);
        var type = Scalar(spec, "type") ?? throw new SidecarConfigException(file, "spec.type", "missing");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec.Children.TryGetValue(new YamlScalarNode("metadata"), out var metaNode))
        {
            if (metaNode is not YamlSequenceNode items)
            {
                throw new SidecarConfigException(file, "spec.metadata", "expected a list of name/value entries");
            }

            var i = 0;
            foreach (var item in items)
            {
                if (item is not YamlMappingNode entry || Scalar(entry, "name") is not { } key)
                {
                    throw new SidecarConfigException(file, $"spec.metadata[{i}].name", "missing");
                }

                if (entry.Children.ContainsKey(new YamlScalarNode("secretKeyRef")))
                {
                    throw new SidecarConfigException(file, $"spec.metadata[{i}].secretKeyRef", "secret references are not supported by the local runtime; use a value");
                }

                metadata[key] = Scalar(entry, "value") ?? "";
                i++;
            }
        }

        return new ComponentSpec(name, type, file, metadata, scopes) { IgnoreErrors = bool.TryParse(Scalar(spec, "ignoreErrors"), out var ignore) && ignore };
    }

    private static SubscriptionSpec ParseSubscription(string file, YamlMappingNode doc, IReadOnlyList<string> scopes)
    {
        var spec = Mapping(doc, "spec", file);
        var pubsub = Scalar(spec, "pubsubname") ?? throw new SidecarConfigException(file, "spec.pubsubname", "missing");
        var topic = Scalar(spec, "topic") ?? throw new SidecarConfigException(file, "spec.topic", "missing");
        string? defaultRoute = Scalar(spec, "route");
        var rules = new List<RouteRule>();
        if (spec.Children.TryGetValue(new YamlScalarNode("routes"), out var routesNode))
        {
            if (routesNode is not YamlMappingNode routes)
            {
                throw new SidecarConfigException(file, "spec.routes", "expected a mapping with rules/default");
            }

            defaultRoute = Scalar(routes, "default") ?? defaultRoute;
            if (routes.Children.TryGetValue(new YamlScalarNode("rules"), out var rulesNode) && rulesNode is YamlSequenceNode ruleItems)
            {
                var i = 0;
                foreach (var item in ruleItems)
                {
                    if (item is not YamlMappingNode rule || Scalar(rule, "path") is not { } path)
                    {
                        throw new SidecarConfigException(file, $"spec.routes.rules[{i}].path", "missing");
                    }

                    rules.Add(new RouteRule(Scalar(rule, "match") ?? "", path));
                    i++;
                }
            }
        }

        if (defaultRoute is null && rules.Count == 0)
        {
            throw new SidecarConfigException(file, "spec.routes.default", "a subscription needs a route");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec.Children.TryGetValue(new YamlScalarNode("metadata"), out var metaNode) && metaNode is YamlMappingNode meta)
        {
            foreach (var (k, v) in meta.Children)
            {
                metadata[((YamlScalarNode)k).Value ?? ""] = (v as YamlScalarNode)?.Value ?? "";
            }
        }

        return new SubscriptionSpec(pubsub, topic, defaultRoute, rules, Scalar(spec, "deadLetterTopic"), metadata, scopes);
    }

    private void ParseResiliency(string file, YamlMappingNode doc)
    {
        var spec = Mapping(doc, "spec", file);
        if (spec.Children.TryGetValue(new YamlScalarNode("policies"), out var policiesNode) && policiesNode is YamlMappingNode policies)
        {
            ParseRetries(file, policies);
            ParseTimeouts(file, policies);
            ParseCircuitBreakers(file, policies);
        }

        if (!spec.Children.TryGetValue(new YamlScalarNode("targets"), out var targetsNode) || targetsNode is not YamlMappingNode targets)
        {
            return;
        }

        if (targets.Children.TryGetValue(new YamlScalarNode("components"), out var compsNode) && compsNode is YamlMappingNode comps)
        {
            foreach (var (key, value) in comps.Children)
            {
                var name = ((YamlScalarNode)key).Value!;
                if (value is not YamlMappingNode target)
                {
                    continue;
                }

                if (target.Children.TryGetValue(new YamlScalarNode("inbound"), out var inboundNode) && inboundNode is YamlMappingNode inbound)
                {
                    Resiliency.ComponentInbound[name] = TargetNames(file, $"spec.targets.components.{name}.inbound", inbound);
                }

                if (target.Children.TryGetValue(new YamlScalarNode("outbound"), out var outboundNode) && outboundNode is YamlMappingNode outbound)
                {
                    Resiliency.ComponentOutbound[name] = TargetNames(file, $"spec.targets.components.{name}.outbound", outbound);
                }
            }
        }

        if (targets.Children.TryGetValue(new YamlScalarNode("apps"), out var appsNode) && appsNode is YamlMappingNode apps)
        {
            foreach (var (key, value) in apps.Children)
            {
                var name = ((YamlScalarNode)key).Value!;
                if (value is YamlMappingNode target)
                {
                    Resiliency.Apps[name] = TargetNames(file, $"spec.targets.apps.{name}", target);
                }
            }
        }
    }

    private void ParseRetries(string file, YamlMappingNode policies)
    {
        if (policies.Children.TryGetValue(new YamlScalarNode("retries"), out var retriesNode) && retriesNode is YamlMappingNode retries)
        {
            foreach (var (key, value) in retries.Children)
            {
                var name = ((YamlScalarNode)key).Value!;
                var field = $"spec.policies.retries.{name}";
                if (value is not YamlMappingNode policy)
                {
                    throw new SidecarConfigException(file, field, "expected a mapping");
                }

                var kind = Scalar(policy, "policy") ?? "constant";
                if (kind is not ("constant" or "exponential"))
                {
                    throw new SidecarConfigException(file, field + ".policy", $"expected constant or exponential, found '{kind}'");
                }

                var exponential = kind == "exponential";
                var duration = Duration(file, field + ".duration", Scalar(policy, "duration")) ?? (exponential ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(5));
                var maxInterval = Duration(file, field + ".maxInterval", Scalar(policy, "maxInterval")) ?? TimeSpan.FromSeconds(60);
                var maxRetriesText = Scalar(policy, "maxRetries") ?? "-1";
                if (!int.TryParse(maxRetriesText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var maxRetries) || maxRetries < -1)
                {
                    throw new SidecarConfigException(file, field + ".maxRetries", $"expected an integer >= -1, found '{maxRetriesText}'");
                }

                Resiliency.Retries[name] = new RetryPolicy(name, exponential, duration, maxInterval, maxRetries);
            }
        }
    }

    private void ParseTimeouts(string file, YamlMappingNode policies)
    {
        if (!policies.Children.TryGetValue(new YamlScalarNode("timeouts"), out var node) || node is not YamlMappingNode timeouts)
        {
            return;
        }

        foreach (var (key, value) in timeouts.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            var field = $"spec.policies.timeouts.{name}";
            Resiliency.Timeouts[name] = Duration(file, field, (value as YamlScalarNode)?.Value) is { } timeout && timeout > TimeSpan.Zero
                ? timeout
                : throw new SidecarConfigException(file, field, "expected a positive duration, e.g. 5s");
        }
    }

    private void ParseCircuitBreakers(string file, YamlMappingNode policies)
    {
        if (!policies.Children.TryGetValue(new YamlScalarNode("circuitBreakers"), out var node) || node is not YamlMappingNode breakers)
        {
            return;
        }

        foreach (var (key, value) in breakers.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            var field = $"spec.policies.circuitBreakers.{name}";
            if (value is not YamlMappingNode breaker)
            {
                throw new SidecarConfigException(file, field, "expected a mapping");
            }

            var maxRequestsText = Scalar(breaker, "maxRequests") ?? "1";
            if (!int.TryParse(maxRequestsText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var maxRequests) || maxRequests < 0)
            {
                throw new SidecarConfigException(file, field + ".maxRequests", $"expected an integer >= 0, found '{maxRequestsText}'");
            }

            var tripText = Scalar(breaker, "trip") ?? "consecutiveFailures > 5";
            var trip = TripCondition.TryParse(tripText, out var parsed)
                ? parsed
                : throw new SidecarConfigException(file, field + ".trip", $"'{tripText}' is not supported locally (use comparisons of requests, totalSuccesses, totalFailures, consecutiveSuccesses, consecutiveFailures with integers, joined by && or ||)");
            Resiliency.CircuitBreakers[name] = new CircuitBreakerSpec(
                name,
                Math.Max(1, maxRequests), // gobreaker treats 0 as 1
                Duration(file, field + ".interval", Scalar(breaker, "interval")) ?? TimeSpan.Zero,
                Duration(file, field + ".timeout", Scalar(breaker, "timeout")) ?? TimeSpan.FromSeconds(60),
                trip);
        }
    }

    private TargetPolicyNames TargetNames(string file, string field, YamlMappingNode target)
    {
        var retry = Scalar(target, "retry");
        var timeout = Scalar(target, "timeout");
        var breaker = Scalar(target, "circuitBreaker");
        RequirePolicy(file, field + ".retry", retry, Resiliency.Retries.ContainsKey, "retries");
        RequirePolicy(file, field + ".timeout", timeout, Resiliency.Timeouts.ContainsKey, "timeouts");
        RequirePolicy(file, field + ".circuitBreaker", breaker, Resiliency.CircuitBreakers.ContainsKey, "circuitBreakers");
        return new TargetPolicyNames(retry, timeout, breaker);
    }

    private static void RequirePolicy(string file, string field, string? name, Func<string, bool> defined, string section)
    {
        if (name is not null && !defined(name))
        {
            throw new SidecarConfigException(file, field, $"policy '{name}' is not defined under spec.policies.{section}");
        }
    }

    /// <summary>Parses Go-style durations (<c>500ms</c>, <c>5s</c>, <c>1m30s</c>, <c>2h</c>).</summary>
    internal static TimeSpan? Duration(string file, string field, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return GoDuration.TryParse(text, out var value) ? value : throw new SidecarConfigException(file, field, $"invalid duration '{text}' (use e.g. 500ms, 5s, 1m)");
    }

    private static int? PositiveInt(string file, string field, string? text) =>
        text is null ? null
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
        : throw new SidecarConfigException(file, field, $"expected a positive whole number, found '{text}'");

    internal static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    private static YamlMappingNode Mapping(YamlMappingNode node, string key, string file) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlMappingNode map
            ? map
            : throw new SidecarConfigException(file, key, "missing or not a mapping");

    private static List<string> Sequence(YamlMappingNode node, string key, string file)
    {
        if (!node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return [];
        }

        return value is YamlSequenceNode seq
            ? seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList()
            : throw new SidecarConfigException(file, key, "expected a list");
    }
}

/// <summary>Go <c>time.ParseDuration</c> subset: a sequence of number+unit (ns, us, ms, s, m, h).</summary>
internal static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0)
        {
            return false;
        }

        if (s == "0")
        {
            return true;
        }

        var i = 0;
        double totalMs = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            double? factor = s[unitStart..i] switch
            {
                "ns" => 1e-6,
                "us" or "µs" => 1e-3,
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => null,
            };
            if (factor is null)
            {
                return false;
            }

            totalMs += number * factor.Value;
        }

        value = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }
}
