using Cronos;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Hosting;
using Storebridge.Sidecar.Invocation;

namespace Storebridge.Sidecar.Bindings;

/// <summary>A parsed <c>bindings.cron</c> schedule: <c>@every &lt;duration&gt;</c>, a descriptor, or 5/6-field cron.</summary>
internal sealed class CronSchedule
{
    private readonly TimeSpan? _every;
    private readonly CronExpression? _cron;

    private CronSchedule(TimeSpan? every, CronExpression? cron)
    {
        _every = every;
        _cron = cron;
    }

    public static CronSchedule Parse(string text, string file)
    {
        var s = text.Trim();
        if (s.StartsWith("@every ", StringComparison.Ordinal))
        {
            return GoDuration.TryParse(s["@every ".Length..], out var every) && every > TimeSpan.Zero
                ? new CronSchedule(every, null)
                : throw new SidecarConfigException(file, "spec.metadata.schedule", $"invalid @every duration in '{text}'");
        }

        try
        {
            // Like daprd's parser the seconds field is optional: 6 fields include seconds, 5 do not.
            var fields = s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            var format = fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
            return new CronSchedule(null, CronExpression.Parse(s, format));
        }
        catch (CronFormatException ex)
        {
            throw new SidecarConfigException(file, "spec.metadata.schedule", $"invalid schedule '{text}': {ex.Message}");
        }
    }

    /// <summary>The next firing strictly after <paramref name="from"/>.</summary>
    public DateTimeOffset? Next(DateTimeOffset from) =>
        _every is { } every ? from + every : _cron!.GetNextOccurrence(from, TimeZoneInfo.Utc);
}

/// <summary>Fires every <c>bindings.cron</c> component of the app: <c>POST /&lt;name&gt;</c> (or its <c>route</c>).</summary>
internal sealed partial class CronBindingService(SidecarRuntime runtime, AppChannel app, ILogger<CronBindingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (runtime.CronBindings.Count == 0 || runtime.Options.AppPort is null)
        {
            return;
        }

        var schedules = runtime.CronBindings;
        try
        {
            await runtime.AppReady.WaitAsync(stoppingToken).ConfigureAwait(false);
            await Task.WhenAll(schedules.Select(s => RunAsync(s.Component, s.Schedule, stoppingToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(ComponentSpec component, CronSchedule schedule, CancellationToken ct)
    {
        var route = component.Meta("route") is { Length: > 0 } r ? r : "/" + component.Name;
        var next = schedule.Next(runtime.Time.GetUtcNow());
        while (next is { } due && !ct.IsCancellationRequested)
        {
            var wait = due - runtime.Time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, runtime.Time, ct).ConfigureAwait(false);
            }

            try
            {
                using var request = app.NewRequest(HttpMethod.Post, route);
                request.Content = new ByteArrayContent([]);
                request.Headers.TryAddWithoutValidation("traceparent", PubSub.TraceContext.ChildOf(null));
                app.AddToken(request);
                using var response = await app.Http.SendAsync(request, ct).ConfigureAwait(false);
                LogFired(logger, component.Name, (int)response.StatusCode);
            }
            catch (HttpRequestException ex)
            {
                LogFailed(logger, component.Name, ex.Message);
            }

            next = schedule.Next(due);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cron binding {Name} fired; app answered {Status}")]
    private static partial void LogFired(ILogger logger, string name, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cron binding {Name} could not reach the app: {Problem}")]
    private static partial void LogFailed(ILogger logger, string name, string problem);
}
