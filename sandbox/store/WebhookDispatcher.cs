using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Webhooks;

namespace Storebridge.Sandbox.Store;

/// <summary>Delivers webhooks the way WooCommerce does through Action Scheduler: asynchronously, at most one
/// pending delivery per webhook and resource (the payload is built when it is sent, so rapid changes collapse
/// into one delivery of the latest state), success = 2xx/301/302, failures counted and the webhook disabled past
/// the maximum, and nothing redelivered — a failed or lost payload is gone.</summary>
internal sealed partial class WebhookDispatcher : IAsyncDisposable
{
    /// <summary>The User-Agent WooCommerce sends (WooCommerce/x.y Hookshot (WordPress/x.y)).</summary>
    public const string UserAgent = "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)";

    private readonly StoreState _state;
    private readonly FaultController _faults;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>();
    private readonly HashSet<(long WebhookId, long ResourceId)> _pending = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private int _inFlight;

    public WebhookDispatcher(StoreState state, FaultController faults, ILogger logger)
    {
        _state = state;
        _faults = faults;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
        state.Changed += OnChanged;
        for (var i = 0; i < Math.Max(1, state.Options.DeliveryConcurrency); i++)
        {
            _workers.Add(Task.Run(() => WorkAsync(_stop.Token)));
        }
    }

    /// <summary>The site URL sent as X-WC-Webhook-Source.</summary>
    public Uri Source { get; set; } = new("http://127.0.0.1/");

    /// <summary>Every delivery attempt, lost ones included, oldest first.</summary>
    public ConcurrentQueue<WebhookDeliveryRecord> Deliveries { get; } = new();

    /// <summary>Deliveries queued or being sent.</summary>
    public int Backlog
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count + _inFlight;
            }
        }
    }

    public void EnqueuePing(long webhookId) => _queue.Writer.TryWrite(new Job(webhookId, "ping", 0, Ping: true));

    private void OnChanged(string resource, string evt, long id)
    {
        var topic = $"{resource}.{evt}";
        foreach (var webhookId in _state.Subscribers(topic))
        {
            lock (_gate)
            {
                // Action Scheduler keeps one pending action per webhook and resource: a second change waits on the first.
                if (!_pending.Add((webhookId, id)))
                {
                    continue;
                }
            }

            _queue.Writer.TryWrite(new Job(webhookId, topic, id, Ping: false));
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(cancellationToken))
            {
                lock (_gate)
                {
                    _pending.Remove((job.WebhookId, job.ResourceId));
                    _inFlight++;
                }

                try
                {
                    await DeliverAsync(job, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.DeliveryCrashed(_logger, job.WebhookId, ex);
                }
                finally
                {
                    lock (_gate)
                    {
                        _inFlight--;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: pending deliveries are lost, as they would be on a real store's dead queue.
        }
    }

    private async Task DeliverAsync(Job job, CancellationToken cancellationToken)
    {
        var target = _state.DeliveryTarget(job.WebhookId, job.Ping);
        if (target is not { } t)
        {
            Record(job, "skipped", null, "webhook not active", "n/a", job.Topic);
            return;
        }

        // The payload is built now, not when the change happened.
        byte[] body;
        string contentType;
        if (job.Ping)
        {
            body = Encoding.UTF8.GetBytes($"webhook_id={job.WebhookId}");
            contentType = "application/x-www-form-urlencoded";
        }
        else
        {
            var evt = t.Topic.Split('.')[1];
            var json = evt == "deleted" ? null : _state.ResourceJson(t.Topic.Split('.')[0], job.ResourceId);
            body = json is { } element
                ? JsonSerializer.SerializeToUtf8Bytes(element, WooJson.Options)
                : JsonSerializer.SerializeToUtf8Bytes(new { id = job.ResourceId });
            contentType = "application/json";
        }

        if (!job.Ping && _faults.DropWebhook())
        {
            Record(job, "dropped", null, "lost by fault injection", _state.Webhook(job.WebhookId).Status ?? "", t.Topic);
            return;
        }

        var copies = !job.Ping && _faults.DuplicateWebhook() ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            await SendAsync(job, t.Url, t.Secret, t.Topic, body, contentType, duplicate: i > 0, cancellationToken);
        }
    }

    private async Task SendAsync(Job job, string url, string secret, string topic, byte[] body, string contentType, bool duplicate, CancellationToken cancellationToken)
    {
        var deliveryId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        if (!job.Ping)
        {
            request.Headers.Add(WooWebhookVerifier.SourceHeader, Source.AbsoluteUri);
            request.Headers.Add(WooWebhookVerifier.TopicHeader, topic);
            request.Headers.Add(WooWebhookVerifier.ResourceHeader, topic.Split('.')[0]);
            request.Headers.Add(WooWebhookVerifier.EventHeader, topic.Split('.')[1]);
            request.Headers.Add(WooWebhookVerifier.SignatureHeader, WooWebhookVerifier.ComputeSignature(body, secret));
            request.Headers.Add(WooWebhookVerifier.IdHeader, job.WebhookId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(WooWebhookVerifier.DeliveryIdHeader, deliveryId);
        }

        int? status = null;
        string? error = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_state.Options.DeliveryTimeout);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException ex)
        {
            error = ex.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = "timed out";
        }

        // WooCommerce: a delivery succeeds with 200..302 (2xx, 301, 302); a ping only with exactly 200.
        var success = job.Ping ? status == (int)HttpStatusCode.OK : status is >= 200 and < 303;
        var after = _state.RecordDelivery(job.WebhookId, success, job.Ping);
        Record(job, success ? "delivered" : "failed", status, error, after, topic, deliveryId, duplicate);
        if (!success)
        {
            Log.DeliveryFailed(_logger, job.WebhookId, topic, job.ResourceId, status, error, after);
        }
    }

    private void Record(Job job, string outcome, int? status, string? error, string webhookStatus, string topic, string deliveryId = "", bool duplicate = false) =>
        Deliveries.Enqueue(new WebhookDeliveryRecord(job.WebhookId, deliveryId, job.Ping ? "ping" : topic, job.ResourceId, outcome, status, error, webhookStatus, duplicate, _state.Options.TimeProvider.GetUtcNow()));

    public async ValueTask DisposeAsync()
    {
        _state.Changed -= OnChanged;
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
        _http.Dispose();
    }

    private sealed record Job(long WebhookId, string Topic, long ResourceId, bool Ping);

    private static partial class Log
    {
        [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Webhook {WebhookId} delivery of {Topic} #{ResourceId} failed ({Status} {Error}); webhook is {WebhookStatus}")]
        public static partial void DeliveryFailed(ILogger logger, long webhookId, string topic, long resourceId, int? status, string? error, string webhookStatus);

        [LoggerMessage(EventId = 7102, Level = LogLevel.Error, Message = "Webhook {WebhookId} delivery crashed")]
        public static partial void DeliveryCrashed(ILogger logger, long webhookId, Exception exception);
    }
}

/// <summary>One webhook delivery attempt.</summary>
/// <param name="WebhookId">Webhook.</param>
/// <param name="DeliveryId">X-WC-Webhook-Delivery-ID (empty when nothing was sent).</param>
/// <param name="Topic">Topic, or "ping".</param>
/// <param name="ResourceId">Resource id.</param>
/// <param name="Outcome">delivered, failed, dropped (lost, never sent) or skipped (webhook no longer active).</param>
/// <param name="StatusCode">Receiver's status, if it answered.</param>
/// <param name="Error">Transport error, if any.</param>
/// <param name="WebhookStatus">Webhook status after this attempt.</param>
/// <param name="Duplicate">A second copy of the same change (fault injection).</param>
/// <param name="At">When.</param>
public sealed record WebhookDeliveryRecord(long WebhookId, string DeliveryId, string Topic, long ResourceId, string Outcome, int? StatusCode, string? Error, string WebhookStatus, bool Duplicate, DateTimeOffset At);
