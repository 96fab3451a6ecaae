using Grpc.Core;
using Grpc.Net.Client;
using Storebridge.Catalog.Grpc;
using Storebridge.Contracts.Catalog.V1;
using Storebridge.Contracts.Common.V1;
using Storebridge.Sandbox.Erp;
using Storebridge.Sandbox.Seed;
using Storebridge.Testing;

namespace Storebridge.Catalog.Tests;

/// <summary>Credit checks and price quotes through the catalog's gRPC API, answered from the ERP simulator.</summary>
public sealed class CreditAndPriceTests : IAsyncLifetime
{
    private ErpSimulator _erp = null!;
    private ServiceHost<CatalogGrpc> _catalog = null!;
    private GrpcChannel _channel = null!;

    public async ValueTask InitializeAsync()
    {
        _erp = await ErpSimulator.StartAsync(new ErpSimulatorOptions { Seed = 42, Size = SandboxSize.Small }, TestContext.Current.CancellationToken);
        _catalog = new ServiceHost<CatalogGrpc>(new Dictionary<string, string?>
        {
            ["Storebridge:Erp:BaseUrl"] = _erp.BaseUrl.ToString(),
            ["Storebridge:Erp:ApiKey"] = _erp.ApiKey,
            ["Storebridge:Erp:ApiSecret"] = _erp.ApiSecret,
        }).Start();
        _channel = GrpcChannel.ForAddress(_catalog.AppAddress);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _catalog.DisposeAsync();
        await _erp.DisposeAsync();
    }

    private CatalogService.CatalogServiceClient Client => new(_channel);

    private static CallOptions Authenticated => new(new Metadata { { "x-api-key", ServiceHost<CatalogGrpc>.ApiKey } }, cancellationToken: TestContext.Current.CancellationToken);

    private SandboxData Data => _erp.Data;

    private Task<CheckCreditResponse> CheckAsync(string customer, decimal amount, string currency = "USD") =>
        Client.CheckCreditAsync(new CheckCreditRequest { ErpCustomerId = customer, Amount = Money.From(amount, currency), OrderRef = "s1-1" }, Authenticated).ResponseAsync;

    [Fact]
    public async Task An_order_within_the_remaining_credit_is_approved_with_the_figures_behind_it()
    {
        var business = Data.Customers.Where(c => c.Kind == SeedCustomerKind.Business && c.Currency == "USD").OrderByDescending(c => c.AvailableCredit).First();

        var answer = await CheckAsync(business.Id, 100m);

        Assert.True(answer.Approved);
        Assert.Equal(business.CreditLimit!.Value, answer.CreditLimit.ToDecimal());
        Assert.True(answer.Remaining.ToDecimal() >= 100m);
    }

    [Fact]
    public async Task An_order_over_the_remaining_credit_is_refused_with_a_reason()
    {
        var business = Data.Customers.Where(c => c.Kind == SeedCustomerKind.Business && c.Currency == "USD").OrderBy(c => c.AvailableCredit).First();

        var answer = await CheckAsync(business.Id, business.AvailableCredit!.Value + 1_000m);

        Assert.False(answer.Approved);
        Assert.Contains("would be exceeded", answer.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_customer_is_not_found_and_bad_input_is_invalid()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() => CheckAsync("CUST-99999", 1m));
        var noCustomer = await Assert.ThrowsAsync<RpcException>(() => CheckAsync("", 1m));

        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, noCustomer.StatusCode);
    }

    [Fact]
    public async Task A_customer_price_wins_over_the_list_price()
    {
        var special = Data.Prices.First(p => p.CustomerId is { Length: > 0 } && p.ValidUntil is null && p.Currency == "USD");
        var request = new QuotePricesRequest { StoreId = "s1", ErpCustomerId = special.CustomerId!, CurrencyCode = "USD" };
        request.Lines.Add(new QuoteLine { Sku = special.Sku, Quantity = 3 });

        var quote = await Client.QuotePricesAsync(request, Authenticated);

        var line = Assert.Single(quote.Lines);
        Assert.Equal(PriceSource.CustomerPrice, line.Source);
        Assert.Equal(special.Rate, line.UnitPrice.ToDecimal());
        Assert.Equal(special.Rate * 3, quote.Total.ToDecimal());
    }
}
