using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Storebridge.Contracts.Catalog.V1;
using Storebridge.Contracts.Common.V1;
using Storebridge.Erp;

namespace Storebridge.Catalog.Grpc;

/// <summary>
/// The B2B decisions an order needs now: what the customer pays (customer price, else its price list) and whether
/// its credit covers the order (limit − exposure, as the ERP will judge it on submit). Both read the ERP, the system
/// of record for prices and credit. Item publishing to stores arrives with the catalog issue.
/// </summary>
public sealed class CatalogGrpc(IErpSystem erp, IOptionsMonitor<CatalogOptions> options) : CatalogService.CatalogServiceBase
{
    public override async Task<CheckCreditResponse> CheckCredit(CheckCreditRequest request, ServerCallContext context)
    {
        Require(request.ErpCustomerId.Length > 0, "erp_customer_id is required.");
        Require(request.Amount is not null && Money.IsValidAmount(request.Amount.Amount) && request.Amount.CurrencyCode.Length == 3,
            "amount must be a decimal amount with an ISO currency code.");
        var amount = request.Amount!.ToDecimal();
        var account = await Call(() => erp.GetCustomerAsync(request.ErpCustomerId, context.CancellationToken))
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"The ERP has no customer {request.ErpCustomerId}."));

        if (account.Credit is not { } credit)
        {
            return new CheckCreditResponse { Approved = true };
        }

        var response = new CheckCreditResponse
        {
            CreditLimit = Money.From(credit.Limit, credit.CurrencyCode),
            Exposure = Money.From(credit.Exposure, credit.CurrencyCode),
            Remaining = Money.From(credit.Available, credit.CurrencyCode),
        };
        if (!string.Equals(credit.CurrencyCode, request.Amount.CurrencyCode, StringComparison.OrdinalIgnoreCase) && !credit.BypassCheck)
        {
            // No rate is applied silently: a person decides on orders in another currency than the credit line.
            response.Reason = $"The order is in {request.Amount.CurrencyCode}, the credit limit in {credit.CurrencyCode}.";
            return response;
        }

        response.Approved = credit.Allows(amount);
        if (!response.Approved)
        {
            response.Reason = string.Create(CultureInfo.InvariantCulture,
                $"Credit limit of {credit.Limit:0.00} {credit.CurrencyCode} would be exceeded: {credit.Exposure:0.00} already open plus {amount:0.00} for this order.");
        }

        return response;
    }

    public override async Task<QuotePricesResponse> QuotePrices(QuotePricesRequest request, ServerCallContext context)
    {
        Require(request.Lines.Count > 0, "lines must not be empty.");
        Require(request.Lines.All(l => l.Sku.Length > 0 && l.Quantity > 0), "every line needs a sku and a positive quantity.");

        var priceList = options.CurrentValue.DefaultPriceList;
        if (request.ErpCustomerId.Length > 0)
        {
            var account = await Call(() => erp.GetCustomerAsync(request.ErpCustomerId, context.CancellationToken))
                ?? throw new RpcException(new Status(StatusCode.NotFound, $"The ERP has no customer {request.ErpCustomerId}."));
            priceList = account.Customer.PriceList is { Length: > 0 } own ? own : priceList;
        }

        var skus = request.Lines.Select(l => l.Sku).Distinct(StringComparer.Ordinal).ToList();
        var prices = await Call(() => erp.GetPricesAsync(new PriceQuery(priceList, skus,
            request.ErpCustomerId.Length > 0 ? request.ErpCustomerId : null, DateOnly.FromDateTime(DateTime.UtcNow)), context.CancellationToken));
        var bySku = prices.GroupBy(p => p.Sku).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

        var missing = skus.Where(s => !bySku.ContainsKey(s)).ToList();
        if (missing.Count > 0)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Price list {priceList} has no price for {string.Join(", ", missing)}."));
        }

        var response = new QuotePricesResponse();
        var currency = bySku[skus[0]].Price_.CurrencyCode;
        var total = 0m;
        foreach (var line in request.Lines)
        {
            var price = bySku[line.Sku];
            total += price.Price_.ToDecimal() * line.Quantity;
            response.Lines.Add(new QuotedLine
            {
                Sku = line.Sku,
                Quantity = line.Quantity,
                UnitPrice = price.Price_,
                PriceList = price.PriceList,
                Source = price.CustomerId.Length > 0 ? PriceSource.CustomerPrice : PriceSource.PriceList,
            });
        }

        response.Total = Money.From(total, currency);
        return response;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, message));
        }
    }

    // ERP outages are Unavailable, so callers (the order workflow) retry instead of deciding on missing facts.
    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ErpException ex) when (ex.IsTransient)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"The ERP is unavailable: {ex.Message}"));
        }
    }
}
