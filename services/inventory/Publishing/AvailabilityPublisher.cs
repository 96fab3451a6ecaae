using System.Text.Json;
using System.Threading.Channels;
using Dapr.Client;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.Domain;

namespace Storebridge.Inventory.Publishing;

/// <summary>
/// Announces what changed: canonical events on pub/sub and stock pushes queued per store. Runs after the state
/// write succeeded; the state is the truth, so a lost event is repaired by the next change or a full re-publish.
/// Events leave through a small in-process buffer drained in bulk (one runtime call per topic and batch instead
/// of one per event), in the order they were raised.
/// </summary>
public sealed partial class AvailabilityPublisher : IAsyncDisposable
{
    private const int MaxBatch = 500;
    private const int MaxAttempts = 5;

    private readonly DaprClient _dapr;
    private readonly StorePushQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<AvailabilityPublisher> _logger;
    private readonly Channel<OutgoingEvent> _outbox = Channel.CreateUnbounded<OutgoingEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _pump;
    private long _enqueued;
    private long _sent;

    /// <summary>Creates the publisher and starts draining its buffer.</summary>
    public AvailabilityPublisher(DaprClient dapr, StorePushQueue queue, TimeProvider time, ILogger<AvailabilityPublisher> logger)
    {
        _dapr = dapr;
        _queue = queue;
        _time = time;
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Publishes <c>inventory.availability-changed</c> for each change and queues the store pushes.</summary>
    public void Announce(IReadOnlyList<AvailabilityChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        var now = Timestamp.FromDateTimeOffset(_time.GetUtcNow());
        foreach (var change in changes)
        {
            _queue.Enqueue(change.StoreId, change.Sku);
            Publish(Topics.InventoryAvailabilityChanged, new AvailabilityChanged
            {
                Sku = change.Sku,
                StoreId = change.StoreId,
                PreviousAvailable = change.Previous ?? 0,
                Available = change.Available,
                OccurredAt = now,
            });
        }
    }

    /// <summary>Queues one canonical event for publishing.</summary>
    public void Publish(string topic, IMessage message)
    {
        Interlocked.Increment(ref _enqueued);
        _outbox.Writer.TryWrite(new OutgoingEvent(topic, message.Descriptor.FullName, JsonDocument.Parse(EventJson.Format(message)).RootElement.Clone()));
    }

    /// <summary>Waits until every event queued so far was handed to the runtime (or given up on).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Read(ref _enqueued);
        while (Interlocked.Read(ref _sent) < target)
        {
            await Task.Delay(5, cancellationToken);
        }
    }

    private async Task PumpAsync()
    {
        var batch = new List<OutgoingEvent>(MaxBatch);
        while (await _outbox.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _outbox.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            // Consecutive runs of one topic keep the order events were raised in.
            var start = 0;
            while (start < batch.Count)
            {
                var end = start;
                while (end < batch.Count && batch[end].Topic == batch[start].Topic && batch[end].Type == batch[start].Type)
                {
                    end++;
                }

                await SendAsync(batch[start].Topic, batch[start].Type, batch.GetRange(start, end - start));
                start = end;
            }

            Interlocked.Add(ref _sent, batch.Count);
            batch.Clear();
        }
    }

    private async Task SendAsync(string topic, string type, List<OutgoingEvent> events)
    {
        var metadata = new Dictionary<string, string> { ["cloudevent.type"] = type };
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                if (events.Count == 1)
                {
                    await _dapr.PublishEventAsync(PubSub.Name, topic, events[0].Data, metadata);
                    return;
                }

                var result = await _dapr.BulkPublishEventAsync(PubSub.Name, topic, [.. events.Select(e => e.Data)], metadata);
                if (result.FailedEntries.Count == 0)
                {
                    return;
                }

                events = [.. result.FailedEntries.Select(f => new OutgoingEvent(topic, type, f.Entry.EventData))];
            }
            catch (Exception ex)
            {
                if (attempt == MaxAttempts)
                {
                    LogPublishFailed(_logger, topic, events.Count, ex);
                    return;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
        }

        LogPublishFailed(_logger, topic, events.Count, null);
    }

    /// <summary>Publishes what is still buffered, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _outbox.Writer.TryComplete();
        await _pump.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private sealed record OutgoingEvent(string Topic, string Type, JsonElement Data);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} event(s) to {Topic} failed; state is unaffected")]
    private static partial void LogPublishFailed(ILogger logger, string topic, int count, Exception? exception);
}
