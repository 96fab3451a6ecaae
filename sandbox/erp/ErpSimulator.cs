using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Storebridge.Sandbox.Erp.Endpoints;
using Storebridge.Sandbox.Erp.Faults;
using Storebridge.Sandbox.Seed;

namespace Storebridge.Sandbox.Erp;

/// <summary>
/// A running ERPNext simulator: Kestrel on loopback serving the Frappe REST subset, seeded from the shared
/// sandbox data. <c>await using var erp = await ErpSimulator.StartAsync(options);</c> then point the ERPNext
/// adapter at <see cref="BaseUrl"/> with <see cref="ApiKey"/>/<see cref="ApiSecret"/>.
/// </summary>
public sealed class ErpSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ErpState _state;

    private ErpSimulator(WebApplication app, ErpState state)
    {
        _app = app;
        _state = state;
    }

    /// <summary>The root URL, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri BaseUrl { get; private set; } = new("http://127.0.0.1/");

    /// <summary>API key of the read-write integration user.</summary>
    public string ApiKey => _state.Options.ApiKey;

    /// <summary>API secret of the read-write integration user.</summary>
    public string ApiSecret => _state.Options.ApiSecret;

    /// <summary>The value of the Authorization header Frappe expects: <c>token key:secret</c>.</summary>
    public string AuthorizationHeader => $"token {ApiKey}:{ApiSecret}";

    /// <summary>The seed data the simulator started from.</summary>
    public SandboxData Data => _state.Data;

    /// <summary>The active fault settings; assign to change them at run time (same as <c>POST /__admin/faults</c>).</summary>
    public ErpFaults Faults
    {
        get => _state.Faults.Current;
        set => _state.Faults.Current = value;
    }

    /// <summary>Builds and starts a simulator.</summary>
    public static async Task<ErpSimulator> StartAsync(ErpSimulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        var simulator = Build([], options ?? new ErpSimulatorOptions());
        await simulator._app.StartAsync(cancellationToken);
        var address = simulator._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        simulator.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        simulator._state.Log.Started(simulator.BaseUrl.ToString(), simulator._state.Options.Seed, simulator._state.Options.Size);
        return simulator;
    }

    /// <summary>Builds the web application; <paramref name="options"/> null means bind them from configuration (the exe).</summary>
    internal static ErpSimulator Build(string[] args, ErpSimulatorOptions? options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ApplicationName = typeof(ErpSimulator).Assembly.GetName().Name });
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
        {
            ["--seed"] = "ErpSimulator:Seed",
            ["--size"] = "ErpSimulator:Size",
            ["--api-key"] = "ErpSimulator:ApiKey",
            ["--api-secret"] = "ErpSimulator:ApiSecret",
        });
        if (options is null)
        {
            options = new ErpSimulatorOptions();
            builder.Configuration.GetSection("ErpSimulator").Bind(options);
            options.Urls = builder.Configuration["urls"] ?? "http://127.0.0.1:8002";
        }

        var uri = new Uri(options.Urls.Split(';')[0]);
        if (!System.Net.IPAddress.TryParse(uri.Host, out var ip) || !System.Net.IPAddress.IsLoopback(ip))
        {
            throw new ArgumentException($"The ERP simulator binds to loopback only (127.0.0.1); got {options.Urls}.", nameof(options));
        }

        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Storebridge", LogLevel.Information);
        builder.Services.ConfigureHttpJsonOptions(j => j.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));

        var app = builder.Build();
        var state = new ErpState(options, app.Services.GetRequiredService<ILogger<ErpSimulator>>());
        app.UseFrappePipeline(state);
        app.MapFrappeApi(state);
        app.MapAdmin(state);
        app.MapGet("/", () => Results.Text($"Storebridge ERP simulator (ERPNext/Frappe REST subset), seed {options.Seed}, size {options.Size}"));
        return new ErpSimulator(app, state);
    }

    /// <summary>Runs until shutdown (the exe).</summary>
    internal Task RunAsync()
    {
        _app.Lifetime.ApplicationStarted.Register(() =>
        {
            var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "";
            _state.Log.Started(address, _state.Options.Seed, _state.Options.Size);
        });
        return _app.RunAsync();
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
