using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Hosting;
using Storebridge.Sidecar.Invocation;
using Storebridge.Sidecar.Resilience;
using Storebridge.Sidecar.Storage;

namespace Storebridge.Sidecar.PubSub;

/// <summary>
/// Waits for the app, reads its subscriptions, registers them in the shared store and then delivers pending
/// messages at least once with Dapr's response contract and the resiliency retry policy.
/// </summary>
internal sealed partial class DeliveryService(SidecarRuntime runtime, AppChannel app, ILogger<DeliveryService> logger) : BackgroundService
{
    private const int BatchSize = 256;
    private const int Parallelism = 64;

    // Leases are write transactions: while deliveries are completing, wait until this many slots are free rather
    // than leasing a row or two per completion. Never waits longer than one poll interval for it.
    private const int MinLease = 16;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan UnreachableBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan BreakerRecheck = TimeSpan.FromMilliseconds(100);

    private Dictionary<(string PubSub, string Topic), SubscriptionSpec> _byTopic = [];
    private int _inFlight;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (runtime.Options.AppPort is null)
            {
                runtime.MarkAppReady();
                return;
            }

            await app.WaitForAppAsync(stoppingToken).ConfigureAwait(false);
            await LoadSubscriptionsAsync(stoppingToken).ConfigureAwait(false);
            runtime.MarkAppReady();
            await DeliverLoopAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task LoadSubscriptionsAsync(CancellationToken ct)
    {
        var all = new List<(SubscriptionSpec, bool)>();
        if (runtime.Options.AppProtocol is "http" or "h2c")
        {
            var (status, body) = await app.GetSubscriptionsAsync(ct).ConfigureAwait(false);
            if (status != HttpStatusCode.OK && status != HttpStatusCode.NotFound)
            {
                LogSubscribeStatus(logger, runtime.AppId, (int)status);
            }

            if (status == HttpStatusCode.OK && !string.IsNullOrWhiteSpace(body))
            {
                try
                {
                    all.AddRange(SubscriptionLoader.ParseProgrammatic(body).Select(s => (s, false)));
                }
                catch (Exception ex) when (ex is JsonException or FormatException)
                {
                    LogBadSubscribe(logger, runtime.AppId, ex.Message);
                }
            }
        }

        all.AddRange(runtime.Resources.Subscriptions.Select(s => (s, true)));
        var byTopic = new Dictionary<(string, string), SubscriptionSpec>();
        foreach (var (spec, declarative) in all)
        {
            if (!runtime.HasPubSub(spec.PubSubName))
            {
                LogUnknownPubSub(logger, spec.Topic, spec.PubSubName);
                continue;
            }

            // Like daprd, the first subscription for a pubsub/topic wins (programmatic before declarative).
            if (byTopic.TryAdd((spec.PubSubName, spec.Topic), spec))
            {
                LogSubscribed(logger, runtime.AppId, spec.PubSubName, spec.Topic, declarative ? "declarative" : "programmatic");
            }
        }

        _byTopic = byTopic;
        runtime.Subscriptions = all.Where(s => byTopic.TryGetValue((s.Item1.PubSubName, s.Item1.Topic), out var kept) && ReferenceEquals(kept, s.Item1)).ToList();
        var topics = byTopic.Values.Select(s => (s.PubSubName, s.Topic, Ordering: DeliveryOrderingRules.For(runtime.PubSub(s.PubSubName)!, s))).ToList();
        foreach (var (pubsub, topic, ordering) in topics.Where(t => t.Ordering != DeliveryOrdering.Concurrent))
        {
            LogOrdered(logger, pubsub, topic, ordering == DeliveryOrdering.PerKey ? "per partition key" : "one at a time");
        }

        await runtime.Store.RegisterSubscriptionsAsync(runtime.AppId, topics, ct).ConfigureAwait(false);
        await runtime.Store.ReleaseLeasesAsync(runtime.AppId, ct).ConfigureAwait(false);
    }

    // A pipeline, not batches: a slow or hanging handler holds one slot, never the messages behind it.
    // Outcomes are applied in groups (one SQLite transaction per group) by a separate completer.
    private async Task DeliverLoopAsync(CancellationToken ct)
    {
        var signal = runtime.Store.SignalFor(runtime.AppId);
        var outcomes = Channel.CreateUnbounded<DeliveryOutcome>(new UnboundedChannelOptions { SingleReader = true });
        var completer = CompleteAsync(outcomes.Reader, signal, ct);
        var lastPrune = runtime.Time.GetUtcNow();
        try
        {
            DateTimeOffset? shortSince = null;
            while (!ct.IsCancellationRequested)
            {
                var free = Parallelism - Volatile.Read(ref _inFlight);
                var now = runtime.Time.GetUtcNow();
                if (free < MinLease && free < Parallelism)
                {
                    shortSince ??= now;
                    if (free <= 0 || now - shortSince < runtime.Options.PollInterval)
                    {
                        await signal.WaitAsync(runtime.Options.PollInterval, ct).ConfigureAwait(false);
                        continue;
                    }
                }

                shortSince = null;

                var want = Math.Min(free, BatchSize);
                var batch = await runtime.Store.LeaseDeliveriesAsync(runtime.AppId, now, Lease, want, ct).ConfigureAwait(false);
                foreach (var delivery in batch)
                {
                    Interlocked.Increment(ref _inFlight);
                    _ = Task.Run(async () =>
                    {
                        DeliveryOutcome outcome;
                        try
                        {
                            outcome = await DeliverAsync(delivery, ct).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (ct.IsCancellationRequested)
                        {
                            return;
                        }

                        outcomes.Writer.TryWrite(outcome);
                    }, CancellationToken.None);
                }

                if (batch.Count == want)
                {
                    continue;
                }

                if (now - lastPrune > TimeSpan.FromSeconds(30))
                {
                    lastPrune = now;
                    await runtime.Store.PruneMessagesAsync(ct).ConfigureAwait(false);
                }

                var wait = runtime.Options.PollInterval;
                if (runtime.Store.NextDueAt(runtime.AppId) is { } due && due - now < wait)
                {
                    wait = due <= now ? TimeSpan.FromMilliseconds(1) : due - now;
                }

                await signal.WaitAsync(wait, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            outcomes.Writer.TryComplete();
            await completer.ConfigureAwait(false);
        }
    }

    private async Task CompleteAsync(ChannelReader<DeliveryOutcome> reader, DeliverySignal signal, CancellationToken ct)
    {
        var group = new List<DeliveryOutcome>();
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                group.Clear();
                while (group.Count < 1024 && reader.TryRead(out var outcome))
                {
                    group.Add(outcome);
                }

                await runtime.Store.CompleteDeliveriesAsync(runtime.AppId, group, runtime.Time.GetUtcNow(), ct).ConfigureAwait(false);
                Interlocked.Add(ref _inFlight, -group.Count);
                signal.Set();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Leases of unfinished deliveries run out (or are released at the next start): they are redelivered.
        }
    }

    private async Task<DeliveryOutcome> DeliverAsync(LeasedDelivery delivery, CancellationToken ct)
    {
        if (!_byTopic.TryGetValue((delivery.PubSub, delivery.Topic), out var sub))
        {
            LogNoSubscription(logger, delivery.Topic);
            return new DeliveryOutcome(delivery.Seq, DeliveryResult.Dropped);
        }

        var (body, contentType, traceparent, route) = Shape(delivery, sub);
        AppResponse response;
        try
        {
            response = runtime.Policies.ForInbound(delivery.PubSub) is { } policy
                ? await policy.RunAsync(token => app.PostEventAsync(route, body, contentType, traceparent, delivery.PubSub, delivery.Topic, token), IsFailure, null, ct).ConfigureAwait(false)
                : await app.PostEventAsync(route, body, contentType, traceparent, delivery.PubSub, delivery.Topic, ct).ConfigureAwait(false);
        }
        catch (CircuitOpenException ex)
        {
            // Rejected without calling the app: the message waits for the breaker to half-open and keeps its retries.
            // A half-open breaker busy with its probes says "now": look again shortly rather than at once.
            LogBreakerOpen(logger, delivery.Topic, ex.Message);
            var recheck = runtime.Time.GetUtcNow() + BreakerRecheck;
            return new DeliveryOutcome(delivery.Seq, DeliveryResult.NotAttempted, ex.HalfOpensAt > recheck ? ex.HalfOpensAt : recheck);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            // The app is not there (stopped, restarting): nothing was processed, so no retry is used up and the
            // message waits for the app instead of running into the dead-letter topic.
            LogAppUnreachable(logger, delivery.Topic, ex.Message);
            return new DeliveryOutcome(delivery.Seq, DeliveryResult.NotAttempted, runtime.Time.GetUtcNow() + UnreachableBackoff);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or PolicyTimeoutException && !ct.IsCancellationRequested)
        {
            LogAppUnreachable(logger, delivery.Topic, ex.Message);
            return Retry(delivery, sub);
        }

        if (response.Status == HttpStatusCode.NotFound)
        {
            LogDropped(logger, delivery.Topic, route, "404 Not Found");
            return new DeliveryOutcome(delivery.Seq, DeliveryResult.Dropped);
        }

        if ((int)response.Status is < 200 or > 299)
        {
            LogRetriable(logger, delivery.Topic, (int)response.Status);
            return Retry(delivery, sub);
        }

        var verdict = ParseStatus(response.Body);
        switch (verdict)
        {
            case "SUCCESS":
                return new DeliveryOutcome(delivery.Seq, DeliveryResult.Done);
            case "DROP":
                LogDropped(logger, delivery.Topic, route, "DROP");
                return new DeliveryOutcome(delivery.Seq, DeliveryResult.Dropped);
            default:
                LogRetriable(logger, delivery.Topic, (int)response.Status);
                return Retry(delivery, sub);
        }
    }

    // What the breaker counts as a failed delivery: the answers that make daprd redeliver (404 and DROP do not).
    private static bool IsFailure(AppResponse response) =>
        response.Status != HttpStatusCode.NotFound && ((int)response.Status is < 200 or > 299 || ParseStatus(response.Body) == "RETRY");

    private DeliveryOutcome Retry(LeasedDelivery delivery, SubscriptionSpec sub)
    {
        var policy = runtime.Resources.Resiliency.InboundRetryFor(delivery.PubSub);
        if (policy.Exhausted(delivery.Attempts))
        {
            if (sub.DeadLetterTopic is { } deadLetter)
            {
                LogDeadLettered(logger, delivery.Topic, deadLetter, delivery.Attempts);
                return new DeliveryOutcome(delivery.Seq, DeliveryResult.DeadLettered, DeadLetterTopic: deadLetter, PubSub: delivery.PubSub);
            }

            LogDropped(logger, delivery.Topic, "-", $"retries exhausted after {delivery.Attempts} attempts");
            return new DeliveryOutcome(delivery.Seq, DeliveryResult.Dropped);
        }

        return new DeliveryOutcome(delivery.Seq, DeliveryResult.Retry, runtime.Time.GetUtcNow() + policy.DelayFor(delivery.Attempts));
    }

    // SUCCESS for an empty or non-JSON 2xx body (daprd only reads the body when it is a status object).
    private static string ParseStatus(byte[] body)
    {
        if (body.Length == 0)
        {
            return "SUCCESS";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String)
            {
                var text = status.GetString()!.ToUpperInvariant();
                return text is "" ? "SUCCESS" : text;
            }
        }
        catch (JsonException)
        {
        }

        return "SUCCESS";
    }

    private (byte[] Body, string ContentType, string Traceparent, string Route) Shape(LeasedDelivery delivery, SubscriptionSpec sub)
    {
        var traceparent = delivery.Traceparent;
        var route = sub.DefaultRoute ?? "/";
        if (!delivery.Raw && sub.Rules.Count > 0)
        {
            // Only routing rules need the event parsed.
            using var doc = JsonDocument.Parse(delivery.Body);
            foreach (var rule in sub.Rules)
            {
                if (rule.Match.Length == 0 || RouteMatcher.Matches(rule.Match, doc.RootElement))
                {
                    route = rule.Path;
                    break;
                }
            }
        }

        var next = TraceContext.ChildOf(traceparent);
        if (sub.RawPayload)
        {
            // Raw subscribers get whatever was on the topic wrapped as data_base64, as daprd does.
            var wrapped = new JsonObject
            {
                ["specversion"] = "1.0",
                ["id"] = Guid.NewGuid().ToString(),
                ["source"] = delivery.PubSub,
                ["type"] = "com.dapr.event.sent",
                ["datacontenttype"] = delivery.Raw ? delivery.ContentType : Publisher.CloudEventsContentType,
                ["data_base64"] = Convert.ToBase64String(delivery.Body),
                ["topic"] = delivery.Topic,
                ["pubsubname"] = delivery.PubSub,
                ["traceparent"] = next,
            };
            return (JsonSerializer.SerializeToUtf8Bytes(wrapped), Publisher.CloudEventsContentType, next, route);
        }

        return delivery.Raw
            ? (delivery.Body, delivery.ContentType, next, route)
            : (delivery.Body, Publisher.CloudEventsContentType, next, route);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Messages of {PubSub}/{Topic} are delivered in order, {How}")]
    private static partial void LogOrdered(ILogger logger, string pubSub, string topic, string how);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery of topic {Topic} held back: {Problem}")]
    private static partial void LogBreakerOpen(ILogger logger, string topic, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {AppId} subscribed to {PubSub}/{Topic} ({Kind})")]
    private static partial void LogSubscribed(ILogger logger, string appId, string pubSub, string topic, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {AppId} returned an unreadable /dapr/subscribe answer: {Problem}")]
    private static partial void LogBadSubscribe(ILogger logger, string appId, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {AppId} answered GET /dapr/subscribe with HTTP {Status}; no programmatic subscriptions (is APP_API_TOKEN set as the app expects?)")]
    private static partial void LogSubscribeStatus(ILogger logger, string appId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription to topic {Topic} names pubsub {PubSub}, which is not configured; ignored")]
    private static partial void LogUnknownPubSub(ILogger logger, string topic, string pubSub);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message on topic {Topic} has no subscription any more; dropped")]
    private static partial void LogNoSubscription(ILogger logger, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App unreachable while delivering topic {Topic}: {Problem}; will retry")]
    private static partial void LogAppUnreachable(ILogger logger, string topic, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message on topic {Topic} (route {Route}) dropped: {Reason}")]
    private static partial void LogDropped(ILogger logger, string topic, string route, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retriable answer from app for topic {Topic} (HTTP {Status})")]
    private static partial void LogRetriable(ILogger logger, string topic, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message on topic {Topic} sent to dead-letter topic {DeadLetter} after {Attempts} attempts")]
    private static partial void LogDeadLettered(ILogger logger, string topic, string deadLetter, int attempts);
}
