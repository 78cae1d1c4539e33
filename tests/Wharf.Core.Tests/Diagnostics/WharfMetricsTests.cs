using Wharf.Diagnostics;

namespace Wharf.Core.Tests.Diagnostics;

public sealed class WharfMetricsTests
{
    [Fact]
    public void Scrape_LabelledCounter_WritesHelpTypeAndSample()
    {
        var metrics = new WharfMetrics();
        var family = metrics.CounterFamily("wharf_http_requests_total", "Requests served.", "operation", "method", "status");
        family.Child("manifest_get", "GET", "2xx").Add(3);
        family.Child("manifest_get", "GET", "2xx").Increment();

        var text = metrics.Scrape();

        Assert.Contains("# HELP wharf_http_requests_total Requests served.\n", text);
        Assert.Contains("# TYPE wharf_http_requests_total counter\n", text);
        Assert.Contains("wharf_http_requests_total{operation=\"manifest_get\",method=\"GET\",status=\"2xx\"} 4\n", text);
    }

    [Fact]
    public void Scrape_Histogram_BucketsAreCumulativeWithSumAndCount()
    {
        var metrics = new WharfMetrics();
        var histogram = metrics.Histogram("wharf_test_seconds", "Test latency.", [0.1, 1]);
        histogram.Observe(0.05);
        histogram.Observe(0.5);
        histogram.Observe(5);

        var text = metrics.Scrape();

        Assert.Contains("wharf_test_seconds_bucket{le=\"0.1\"} 1\n", text);
        Assert.Contains("wharf_test_seconds_bucket{le=\"1\"} 2\n", text);
        Assert.Contains("wharf_test_seconds_bucket{le=\"+Inf\"} 3\n", text);
        Assert.Contains("wharf_test_seconds_sum 5.55\n", text);
        Assert.Contains("wharf_test_seconds_count 3\n", text);
    }

    [Fact]
    public void Scrape_LabelValueWithQuote_IsEscaped()
    {
        var metrics = new WharfMetrics();
        metrics.CounterFamily("wharf_x_total", "X.", "l").Child("a\"b\\c").Increment();

        Assert.Contains("wharf_x_total{l=\"a\\\"b\\\\c\"} 1\n", metrics.Scrape());
    }

    [Fact]
    public void Register_SameNameTwice_ReturnsTheSameFamily_OtherTypeThrows()
    {
        var metrics = new WharfMetrics();
        var first = metrics.Counter("wharf_gc_runs_total", "GC runs.");
        var second = metrics.Counter("wharf_gc_runs_total", "GC runs.");
        first.Increment();

        Assert.Equal(1, second.Value);
        Assert.Throws<InvalidOperationException>(() => metrics.Gauge("wharf_gc_runs_total", "GC runs."));
    }

    [Fact]
    public void Gauge_MovesBothWays_ObservedGaugeReadAtScrape()
    {
        var metrics = new WharfMetrics();
        var inFlight = metrics.Gauge("wharf_uploads_in_flight", "Uploads.");
        inFlight.Increment();
        inFlight.Increment();
        inFlight.Decrement();
        var free = 10.0;
        metrics.ObservedGauge("wharf_storage_free_bytes", "Free.", () => free);
        free = 42;

        var text = metrics.Scrape();

        Assert.Contains("wharf_uploads_in_flight 1\n", text);
        Assert.Contains("wharf_storage_free_bytes 42\n", text);
    }
}
