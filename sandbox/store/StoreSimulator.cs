using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Storebridge.Sandbox.Seed;

namespace Storebridge.Sandbox.Store;

/// <summary>A running WooCommerce store simulator on Kestrel (127.0.0.1).
/// <code>await using var store = await StoreSimulator.StartAsync(new StoreSimulatorOptions { Seed = 42 });</code></summary>
public sealed class StoreSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WebhookDispatcher _webhooks;
    private readonly FaultController _faults;

    private StoreSimulator(WebApplication app, StoreState state, WebhookDispatcher webhooks, FaultController faults, Uri baseUrl)
    {
        _app = app;
        State = state;
        _webhooks = webhooks;
        _faults = faults;
        BaseUrl = baseUrl;
    }

    /// <summary>The site URL (with a trailing slash); the REST API is under <c>wp-json/wc/v3/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The options it started with (consumer key and secret for clients).</summary>
    public StoreSimulatorOptions Options => State.Options;

    /// <summary>The catalog the store sells.</summary>
    public SandboxData Catalog => State.Catalog;

    /// <summary>Every webhook delivery attempt so far.</summary>
    public IReadOnlyList<WebhookDeliveryRecord> Deliveries => [.. _webhooks.Deliveries];

    /// <summary>Deliveries queued or in flight.</summary>
    public int WebhookBacklog => _webhooks.Backlog;

    /// <summary>Every REST call so far (method, route key, status).</summary>
    public IReadOnlyList<RequestRecord> Requests => [.. _faults.Requests];

    /// <summary>The fault settings in force.</summary>
    public FaultSettings Faults => _faults.Current;

    internal StoreState State { get; }


    /// <summary>Starts a simulator; returns once it listens.</summary>
    public static async Task<StoreSimulator> StartAsync(StoreSimulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var url = new Uri(options.Url);
        if (url.Host is not ("127.0.0.1" or "localhost"))
        {
            throw new ArgumentException($"The store simulator binds to 127.0.0.1 only, not '{url.Host}'.", nameof(options));
        }

        var catalog = options.Catalog ?? SandboxCatalog.Generate(options.Seed, options.Size);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"{url.Scheme}://127.0.0.1:{url.Port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(options.TimeProvider);
        var app = builder.Build();

        var state = new StoreState(options, catalog);
        var faults = new FaultController(options.Seed, options.TimeProvider);
        faults.Set(options.Faults);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Storebridge.Sandbox.Store");
        var webhooks = new WebhookDispatcher(state, faults, logger);
        StoreEndpoints.Map(app, state, faults, webhooks);

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseUrl = new Uri(address.TrimEnd('/') + "/");
        webhooks.Source = baseUrl;
        var simulator = new StoreSimulator(app, state, webhooks, faults, baseUrl);
        return simulator;
    }

    /// <summary>Replaces the fault settings at run time (same as <c>POST /__admin/faults</c>).</summary>
    public void SetFaults(FaultSettings faults) => _faults.Set(faults);

    /// <summary>Holds every checkout between its stock check and its payment until released, so a test can
    /// line up concurrent checkouts on the same stale stock. Dispose or <see cref="CheckoutHold.Release"/> frees them.</summary>
    public CheckoutHold HoldCheckouts() => State.Hold = new CheckoutHold(() => State.Hold = null);

    /// <summary>Stock of a SKU, or null when the store does not sell it.</summary>
    public StockView? Stock(string sku) => State.Stock(sku);

    /// <summary>Waits until the store is stopped (Ctrl+C for the exe).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the server and the webhook workers.</summary>
    public async ValueTask DisposeAsync()
    {
        State.Hold?.Release();
        await _webhooks.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Checkouts held between stock check and payment (see <see cref="StoreSimulator.HoldCheckouts"/>).</summary>
public sealed class CheckoutHold : IDisposable
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action _onRelease;
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private int _held;

    internal CheckoutHold(Action onRelease) => _onRelease = onRelease;

    /// <summary>Checkouts waiting now.</summary>
    public int Held
    {
        get
        {
            lock (_gate)
            {
                return _held;
            }
        }
    }

    /// <summary>Completes once <paramref name="count"/> checkouts are held.</summary>
    public Task WaitForHeldAsync(int count, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_held >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Lets every held checkout go on to payment.</summary>
    public void Release()
    {
        _onRelease();
        _released.TrySetResult();
    }

    /// <inheritdoc/>
    public void Dispose() => Release();

    internal async Task WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _held++;
            foreach (var waiter in _waiters.Where(w => w.Count <= _held).ToList())
            {
                waiter.Signal.TrySetResult();
                _waiters.Remove(waiter);
            }
        }

        await _released.Task.WaitAsync(cancellationToken);
    }
}
